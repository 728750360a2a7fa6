package pdf

import "testing"

func TestVisual(t *testing.T) {
	tests := map[string]struct {
		in   string
		rtl  bool
		want string
	}{
		"latin stays":                   {"Hello, world", false, "Hello, world"},
		"hebrew reverses":               {"שלום", true, "םולש"},
		"hebrew punctuation at the end": {"שלום, עולם?", true, "?םלוע ,םולש"},
		"number keeps its order":        {"חדר 123", true, "123 רדח"},
		"hebrew inside latin":           {"I said שלום today", false, "I said םולש today"},
		"latin inside hebrew":           {"אני אוהב Go מאוד", true, "דואמ Go בהוא ינא"},
		"brackets mirror":               {"(שלום)", true, "(םולש)"},
		"arabic with arabic number":     {"رقم 12", true, "12 مقر"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := isRTL(tt.in); got != tt.rtl {
				t.Fatalf("isRTL(%q) = %v", tt.in, got)
			}
			if got := visual(tt.in, tt.rtl); got != tt.want {
				t.Fatalf("visual(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestCoverage(t *testing.T) {
	faces, err := loadFaces()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range faces {
		for _, r := range "Aéœ€ΣЖمש→✓" {
			if !f.has(r) {
				t.Errorf("the font lacks %q", r)
			}
		}
		for _, r := range []rune{'中', 0x1F600, 0xE000} {
			if f.has(r) {
				t.Errorf("the font claims %U, which DejaVu Sans does not draw", r)
			}
		}
	}
}
