package teachimg

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
	"strings"
	"time"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// The grids' look: a dark background, light text in a 7×13 pixel font.
func background() color.RGBA { return color.RGBA{30, 30, 30, 255} }
func ink() color.RGBA        { return color.RGBA{225, 225, 225, 255} }

const (
	lineHeight = 15 // a text line, the 13 pixel font plus spacing
	pad        = 6  // between cells and around the grid
	charWidth  = 7
)

// DefaultTileSize is the side of an activation tile in pixels.
const DefaultTileSize = 112

// maxCells bounds how many cells one grid draws.
const maxCells = 1024

// Grid draws the channels chans of a (as Top chose them) as greyscale
// tiles of tileSize pixels (0: DefaultTileSize), each with its index and
// value range in a below it (and α when chans has it), under a title
// line. Every tile is scaled to its own channel's range: the label says
// which.
func Grid(a Activation, chans []Channel, title string, tileSize int) (*image.RGBA, error) {
	return channelGrid(a, chans, title, tileSize, func(v []float32, h, w, size int) (image.Image, error) {
		return grey(Tile(v, h, w, size))
	})
}

// SignedGrid is Grid for signed values such as gradients: each tile in
// gradcam.Diverging, white at zero, red for positive and blue for
// negative values, scaled to the channel's largest magnitude (a channel
// that is the same everywhere is one flat colour).
func SignedGrid(a Activation, chans []Channel, title string, tileSize int) (*image.RGBA, error) {
	return channelGrid(a, chans, title, tileSize, func(v []float32, h, w, size int) (image.Image, error) {
		img, _, err := Signed(v, h, w, size)
		if err != nil {
			return nil, err
		}
		return img, nil
	})
}

// grey returns Tile's result as an image.Image.
func grey(img *image.Gray, err error) (image.Image, error) {
	if err != nil {
		return nil, err
	}
	return img, nil
}

// channelGrid draws Grid with tile drawing each channel.
func channelGrid(a Activation, chans []Channel, title string, tileSize int, tile func(v []float32, h, w, size int) (image.Image, error)) (*image.RGBA, error) {
	if err := a.check(); err != nil {
		return nil, err
	}
	if tileSize == 0 {
		tileSize = DefaultTileSize
	}
	lines := 2
	if len(chans) > 0 && chans[0].HasAlpha {
		lines = 3
	}
	g, err := newGrid(len(chans), tileSize, tileSize, lines, title)
	if err != nil {
		return nil, err
	}
	for i, c := range chans {
		if c.Index < 0 || c.Index >= a.C {
			return nil, fmt.Errorf("teachimg: channel %d of a %d-channel layer", c.Index, a.C)
		}
		img, err := tile(a.Channel(c.Index), a.H, a.W, tileSize)
		if err != nil {
			return nil, err
		}
		st := a.Stats(c.Index)
		labels := []string{fmt.Sprintf("#%d", c.Index), fmt.Sprintf("%s..%s", short(st.Min), short(st.Max))}
		if c.HasAlpha {
			labels = append(labels, "a="+short(c.Alpha))
		}
		g.cell(i, img, labels)
	}
	return g.img, nil
}

// MethodTile is one method's cell in MethodsGrid.
type MethodTile struct {
	// Name is the method's name; Overlay its map over the image.
	Name    string
	Overlay image.Image
	// Elapsed is the time the method's run took; Shared, when more than
	// one, the number of maps that run computed together.
	Elapsed time.Duration
	Shared  int
	// Drop is the faithfulness drop (gradcam.Faithfulness.Drop) when
	// HasDrop is set.
	Drop    float64
	HasDrop bool
}

// MethodsGrid draws one overlay per method, all of the first one's size,
// with the method's name, time and faithfulness drop below it, under a
// title line.
func MethodsGrid(tiles []MethodTile, title string) (*image.RGBA, error) {
	if len(tiles) == 0 || tiles[0].Overlay == nil {
		return nil, fmt.Errorf("teachimg: methods grid: no overlays")
	}
	size := tiles[0].Overlay.Bounds().Size()
	g, err := newGrid(len(tiles), size.X, size.Y, 3, title)
	if err != nil {
		return nil, err
	}
	for i, t := range tiles {
		if t.Overlay == nil || t.Overlay.Bounds().Size() != size {
			return nil, fmt.Errorf("teachimg: methods grid: overlay of %s is not %v", t.Name, size)
		}
		drop := "drop n/a"
		if t.HasDrop {
			drop = fmt.Sprintf("drop %.3f", t.Drop)
		}
		took := fmt.Sprintf("%.0f ms", t.Elapsed.Seconds()*1000)
		if t.Shared > 1 {
			took += fmt.Sprintf(" (one run for %d)", t.Shared)
		}
		g.cell(i, t.Overlay, []string{t.Name, took, drop})
	}
	return g.img, nil
}

// grid is a picture of equal cells, each an image with text lines below.
type grid struct {
	img   *image.RGBA
	cols  int
	cellW int // the image's width, and the text's
	cellH int // image and text
	imgH  int
}

// newGrid lays out n cells of w×h images with lines text lines each.
func newGrid(n, w, h, lines int, title string) (*grid, error) {
	if n < 1 || n > maxCells {
		return nil, fmt.Errorf("teachimg: %d cells, want 1..%d", n, maxCells)
	}
	if w <= 0 || h <= 0 || w > maxSide || h > maxSide {
		return nil, fmt.Errorf("teachimg: cell size %dx%d", w, h)
	}
	cols := min(n, max(1, int(math.Ceil(math.Sqrt(float64(n))))), 8)
	rows := (n + cols - 1) / cols
	g := &grid{cols: cols, cellW: w, imgH: h, cellH: h + lines*lineHeight}
	width := max(pad+cols*(w+pad), 2*pad+len([]rune(title))*charWidth)
	height := pad + lineHeight + pad + rows*(g.cellH+pad)
	if width > 4*maxSide || height > 4*maxSide {
		return nil, fmt.Errorf("teachimg: grid of %d cells of %dx%d too large", n, w, h)
	}
	g.img = image.NewRGBA(image.Rect(0, 0, width, height))
	draw.Draw(g.img, g.img.Bounds(), image.NewUniform(background()), image.Point{}, draw.Src)
	g.text(pad, pad, clip(title, (width-2*pad)/charWidth))
	return g, nil
}

// rect returns where cell i's image goes.
func (g *grid) rect(i int) image.Rectangle {
	x := pad + (i%g.cols)*(g.cellW+pad)
	y := pad + lineHeight + pad + (i/g.cols)*(g.cellH+pad)
	return image.Rect(x, y, x+g.cellW, y+g.imgH)
}

// cell draws cell i: its image and text lines.
func (g *grid) cell(i int, img image.Image, lines []string) {
	r := g.rect(i)
	draw.Draw(g.img, r, img, img.Bounds().Min, draw.Src)
	for l, s := range lines {
		g.text(r.Min.X, r.Max.Y+l*lineHeight+2, clip(s, g.cellW/charWidth))
	}
}

// text writes s with its top-left corner at (x, y).
func (g *grid) text(x, y int, s string) {
	d := font.Drawer{
		Dst:  g.img,
		Src:  image.NewUniform(ink()),
		Face: basicfont.Face7x13,
		Dot:  fixed.P(x, y+basicfont.Face7x13.Ascent),
	}
	d.DrawString(s)
}

// clip shortens s to at most n characters.
func clip(s string, n int) string {
	r := []rune(s)
	if n < 1 {
		return ""
	}
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}

// short formats v in at most about 7 characters.
func short(v float32) string {
	a := math.Abs(float64(v))
	switch {
	case a == 0:
		return "0"
	case a >= 1000 || a < 0.001: // 1.2e-4, not Go's 1.2e-04
		return strings.NewReplacer("e-0", "e-", "e+0", "e").Replace(fmt.Sprintf("%.1e", v))
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.3f", v)
}
