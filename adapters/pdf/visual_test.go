package pdf_test

import (
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// A rendered page is a real page: rasterised, it has ink on white, and a
// 1,000-message chat takes many more pages than a short one.
func TestRender_PagesAreRealPages(t *testing.T) {
	short := render(t, chat(t, 10))
	long := render(t, chat(t, 1000))
	if n := pages(t, short); n != "1" {
		t.Errorf("a 10-message chat takes %s pages, want 1", n)
	}
	n, _ := strconv.Atoi(pages(t, long))
	if n < 20 {
		t.Errorf("a 1,000-message chat takes %d pages, want at least 20", n)
	}
	prefix := filepath.Join(t.TempDir(), "page")
	poppler(t, "pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", long, prefix)
	matches, _ := filepath.Glob(prefix + "*.png")
	if len(matches) != 1 {
		t.Fatalf("pdftoppm made %v, want one PNG", matches)
	}
	f, err := os.Open(matches[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	dark, light := ink(img)
	total := img.Bounds().Dx() * img.Bounds().Dy()
	// Text covers a few percent of a page: none means a blank page, most
	// means a black one.
	if dark < total/200 || dark > total/3 || light < total/2 {
		t.Fatalf("page 1 has %d dark and %d light pixels of %d: not a page of text", dark, light, total)
	}
	if w, h := img.Bounds().Dx(), img.Bounds().Dy(); h*100/w < 135 || h*100/w > 150 {
		t.Errorf("page 1 is %dx%d, not A4 portrait", w, h)
	}
}

func ink(img image.Image) (dark, light int) {
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			switch lum := (r + g + bl) / 3 >> 8; {
			case lum < 160:
				dark++
			case lum > 240:
				light++
			}
		}
	}
	return dark, light
}
