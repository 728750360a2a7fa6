package main

import "testing"

// TestByteSize: given what an operator writes for --min-free-space, then
// it is read as these bytes, or refused.
func TestByteSize(t *testing.T) {
	tests := map[string]struct {
		in      string
		want    uint64
		wantErr bool
	}{
		"plain bytes":  {in: "1048576", want: 1 << 20},
		"MiB":          {in: "256MiB", want: 256 << 20},
		"short unit":   {in: "2G", want: 2 << 30},
		"zero":         {in: "0", want: 0},
		"spaced":       {in: " 512 KiB ", want: 512 << 10},
		"no number":    {in: "MiB", wantErr: true},
		"negative":     {in: "-1MiB", wantErr: true},
		"decimal unit": {in: "1MB", wantErr: true},
		"overflows":    {in: "99999999999TiB", wantErr: true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			var b byteSize
			err := b.Set(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Set(%q) = %v, want error = %v", tt.in, err, tt.wantErr)
			}
			if err == nil && uint64(b) != tt.want {
				t.Errorf("Set(%q) = %d, want %d", tt.in, b, tt.want)
			}
		})
	}
	b := byteSize(256 << 20)
	if got := b.String(); got != "256MiB" {
		t.Errorf("String() = %q, want 256MiB", got)
	}
}
