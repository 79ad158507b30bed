package timeline

import (
	"fmt"
	"image"
	"image/color"
	"io"
	"math"
	"strconv"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// PlotOptions shape the PNG.
type PlotOptions struct {
	// Title heads the figure.
	Title string
	// Width and Height are the image's size in pixels (default 1200x900).
	Width, Height int
	// KVLines are horizontal reference lines on the KV-cache panel, e.g.
	// the saturation threshold.
	KVLines []Reference
	// Marks are vertical lines on every panel, e.g. when the load stopped.
	Marks []Mark
}

// Reference is a labelled horizontal line.
type Reference struct {
	Label string
	Value float64
}

// Mark is a labelled moment.
type Mark struct {
	Label string
	At    time.Time
}

// dpi is the resolution the sizes in points are drawn at.
const dpi = 96

// WritePNG draws the series as a PNG of three panels over the same time
// axis: the load (offered rate, requests running and waiting), the mean
// KV-cache usage, and each variant's replicas (current and desired).
func (s Series) WritePNG(w io.Writer, o PlotOptions) error {
	if o.Width <= 0 || o.Height <= 0 {
		o.Width, o.Height = 1200, 900
	}
	panels := []*plot.Plot{s.loadPanel(), s.kvPanel(o.KVLines), s.replicasPanel()}
	panels[0].Title.Text = o.Title
	xmax := 1.0
	if n := len(s.Samples); n > 0 {
		xmax = math.Max(xmax, s.Elapsed(s.Samples[n-1].At))
	}
	for _, p := range panels {
		p.X.Min, p.X.Max = 0, xmax
		p.Add(plotter.NewGrid())
		for _, m := range o.Marks {
			p.Add(vline{x: s.Elapsed(m.At), label: m.Label})
		}
		// Top right: the load has stopped and the replicas are down there
		// by the end of a cycle.
		p.Legend.Top = true
	}
	img := vgimg.NewWith(vgimg.UseImage(image.NewRGBA(image.Rect(0, 0, o.Width, o.Height))), vgimg.UseDPI(dpi))
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: len(panels), Cols: 1, PadX: vg.Millimeter, PadY: 3 * vg.Millimeter,
		PadTop: 2 * vg.Millimeter, PadBottom: 2 * vg.Millimeter, PadLeft: 2 * vg.Millimeter, PadRight: 4 * vg.Millimeter}
	grid := make([][]*plot.Plot, len(panels))
	for i, p := range panels {
		grid[i] = []*plot.Plot{p}
	}
	panels[len(panels)-1].X.Label.Text = "seconds since the start of recording"
	canvases := plot.Align(grid, tiles, dc)
	for i, p := range panels {
		p.Draw(canvases[i][0])
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(w); err != nil {
		return fmt.Errorf("writing the PNG: %w", err)
	}
	return nil
}

func (s Series) loadPanel() *plot.Plot {
	p := plot.New()
	p.Y.Label.Text = "requests, requests/s"
	p.Y.Min = 0
	s.addLine(p, "offered req/s (profile)", 0, nil, plotter.PostStep, func(x Sample) float64 { return x.OfferedRPS })
	s.addLine(p, "offered req/s (loadgen metric)", 0, plotutil.Dashes(2), plotter.NoStep, func(x Sample) float64 { return x.LoadgenRPS })
	s.addLine(p, "running (sum)", 1, nil, plotter.NoStep, func(x Sample) float64 { return x.Running })
	s.addLine(p, "waiting (sum)", 2, nil, plotter.NoStep, func(x Sample) float64 { return x.Waiting })
	return p
}

func (s Series) kvPanel(refs []Reference) *plot.Plot {
	p := plot.New()
	p.Y.Label.Text = "KV-cache usage (mean)"
	p.Y.Min, p.Y.Max = 0, 1
	s.addLine(p, "KV-cache usage, mean of the replicas", 3, nil, plotter.NoStep, func(x Sample) float64 { return x.KVMean })
	for i, r := range refs {
		l, err := plotter.NewLine(plotter.XYs{{X: 0, Y: r.Value}, {X: s.lastX(), Y: r.Value}})
		if err != nil {
			continue // a NaN reference is not drawn
		}
		l.Color = color.Gray{Y: 100}
		l.Dashes = plotutil.Dashes(i + 1)
		p.Add(l)
		p.Legend.Add(fmt.Sprintf("%s %.3g", r.Label, r.Value), l)
	}
	return p
}

func (s Series) replicasPanel() *plot.Plot {
	p := plot.New()
	p.Y.Label.Text = "replicas"
	p.Y.Min = 0
	top := 1.0
	for i, name := range s.Variants {
		current := func(x Sample) float64 { return x.Variants[i].Current }
		s.addLine(p, name+" current (spec.replicas)", 4+i, nil, plotter.PostStep, current)
		s.addLine(p, name+" ready", 4+i, plotutil.Dashes(3), plotter.PostStep, func(x Sample) float64 { return x.Variants[i].Ready })
		s.addLine(p, name+" desired (VA status)", 4+i, plotutil.Dashes(1), plotter.PostStep, func(x Sample) float64 { return x.Variants[i].Desired })
		for _, x := range s.Samples {
			top = math.Max(top, nanMax(x.Variants[i].Current, x.Variants[i].Desired))
		}
	}
	p.Y.Max = top + 1
	p.Y.Tick.Marker = integerTicks{}
	return p
}

// integerTicks labels every whole number of an axis (replicas), or every
// few when there are many.
type integerTicks struct{}

// Ticks implements plot.Ticker.
func (integerTicks) Ticks(lo, hi float64) []plot.Tick {
	step := math.Max(1, math.Ceil((hi-lo)/10))
	var out []plot.Tick
	for v := math.Ceil(lo/step) * step; v <= hi; v += step {
		out = append(out, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', 0, 64)})
	}
	return out
}

// addLine adds the series value(sample) as a line, split where it is NaN,
// with one legend entry.
func (s Series) addLine(p *plot.Plot, label string, colorIndex int, dashes []vg.Length, step plotter.StepKind, value func(Sample) float64) {
	var segment plotter.XYs
	legend := false
	flush := func() {
		if len(segment) == 0 {
			return
		}
		l, err := plotter.NewLine(segment)
		segment = nil
		if err != nil {
			return // unreachable: NaN values never enter a segment
		}
		l.Color = plotutil.Color(colorIndex)
		l.Width = vg.Points(1.5)
		l.Dashes = dashes
		l.StepStyle = step
		p.Add(l)
		if !legend {
			p.Legend.Add(label, l)
			legend = true
		}
	}
	for _, x := range s.Samples {
		v := value(x)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			flush()
			continue
		}
		segment = append(segment, plotter.XY{X: s.Elapsed(x.At), Y: v})
	}
	flush()
}

func (s Series) lastX() float64 {
	if n := len(s.Samples); n > 0 {
		return s.Elapsed(s.Samples[n-1].At)
	}
	return 1
}

func nanMax(a, b float64) float64 {
	switch {
	case math.IsNaN(a):
		return b
	case math.IsNaN(b):
		return a
	}
	return math.Max(a, b)
}

// vline is a labelled vertical line across a panel's data area.
type vline struct {
	x     float64
	label string
}

// Plot implements plot.Plotter.
func (v vline) Plot(c draw.Canvas, p *plot.Plot) {
	x := p.X.Norm(v.x)
	if x < 0 || x > 1 {
		return
	}
	xc := c.Min.X + vg.Length(x)*(c.Max.X-c.Min.X)
	style := draw.LineStyle{Color: color.RGBA{R: 160, A: 255}, Width: vg.Points(1), Dashes: plotutil.Dashes(2)}
	c.StrokeLine2(style, xc, c.Min.Y, xc, c.Max.Y)
	if v.label != "" {
		text := draw.TextStyle{Color: style.Color, Font: font.From(plot.DefaultFont, vg.Points(8)), Handler: p.Title.TextStyle.Handler,
			XAlign: draw.XRight, YAlign: draw.YTop, Rotation: math.Pi / 2}
		c.FillText(text, vg.Point{X: xc - vg.Points(2), Y: c.Max.Y - vg.Points(2)}, v.label)
	}
}
