package timeline

import (
	"bytes"
	"image/png"
	"strings"
	"testing"
)

func TestWritePNG(t *testing.T) {
	cases := map[string]struct {
		series        Series
		opts          PlotOptions
		width, height int
	}{
		"cycle with gaps and marks": {
			series: cycle(),
			opts: PlotOptions{Title: "load cycle", Width: 800, Height: 600,
				KVLines: []Reference{{Label: "kvCacheThreshold", Value: 0.8}},
				Marks:   []Mark{{Label: "Prometheus down", At: at(3)}, {Label: "outside", At: at(100)}}},
			width: 800, height: 600,
		},
		"default size": {series: cycle(), width: 1200, height: 900},
		"empty":        {series: Series{Start: t0, Variants: []string{"a"}}, width: 1200, height: 900},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := tc.series.WritePNG(&buf, tc.opts); err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(&buf)
			if err != nil {
				t.Fatalf("decoding the PNG: %v", err)
			}
			if b := img.Bounds(); b.Dx() != tc.width || b.Dy() != tc.height {
				t.Errorf("image is %dx%d, want %dx%d", b.Dx(), b.Dy(), tc.width, tc.height)
			}
			// Something was drawn: not every pixel is the white background.
			b := img.Bounds()
			drawn := false
			for y := b.Min.Y; y < b.Max.Y && !drawn; y += 3 {
				for x := b.Min.X; x < b.Max.X; x += 3 {
					if r, g, bl, _ := img.At(x, y).RGBA(); r != 0xffff || g != 0xffff || bl != 0xffff {
						drawn = true
						break
					}
				}
			}
			if !drawn {
				t.Error("the image is blank")
			}
		})
	}
}

func TestIntegerTicks(t *testing.T) {
	var got []string
	for _, tick := range (integerTicks{}).Ticks(0, 5) {
		got = append(got, tick.Label)
	}
	if want := "0 1 2 3 4 5"; strings.Join(got, " ") != want {
		t.Errorf("Ticks(0, 5) = %q, want %q", got, want)
	}
	if n := len((integerTicks{}).Ticks(0, 95)); n > 11 {
		t.Errorf("Ticks(0, 95): %d ticks, want at most 11", n)
	}
}
