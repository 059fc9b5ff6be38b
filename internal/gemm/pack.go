package gemm

// packA copies rows [i0, i0+rows) and columns [p0, p0+depth) of a into dst
// as consecutive mr-row panels: panel r holds, for each depth step, mr
// values (zero past the last row).
func packA(dst []float32, a Matrix, mr, i0, rows, p0, depth int) {
	rs, cs := a.steps()
	for ir := 0; ir < rows; ir += mr {
		panel := dst[ir*depth : (ir+mr)*depth]
		h := min(mr, rows-ir)
		if h < mr {
			clear(panel)
		}
		switch {
		case a.Index != nil && !a.Trans:
			packIndexed(panel, a, mr, h, i0+ir, p0, depth)
		case a.Index != nil:
			packAny(panel, a, mr, h, depth, i0+ir, p0, false)
		case h == mr && mr == 6 && cs == 1:
			packRows6(panel, a.Data[(i0+ir)*rs+p0:], rs, depth)
		case h == mr && mr <= maxRows && cs == 1:
			packRows(panel, a.Data[(i0+ir)*rs+p0:], mr, rs, depth)
		case rs == 1:
			base := i0 + ir + p0*cs
			for p := 0; p < depth; p++ {
				copy(panel[p*mr:p*mr+h], a.Data[base+p*cs:base+p*cs+h])
			}
		default:
			base := (i0+ir)*rs + p0*cs
			for r := 0; r < h; r++ {
				src := base + r*rs
				for p := 0; p < depth; p++ {
					panel[p*mr+r] = a.Data[src+p*cs]
				}
			}
		}
	}
}

// packRows6 interleaves depth values from each of six rows of data, rs
// apart, into an A panel, step by step.
func packRows6(panel, data []float32, rs, depth int) {
	const mr = 6
	r0, r1, r2 := data[:depth], data[rs:rs+depth], data[2*rs:2*rs+depth]
	r3, r4, r5 := data[3*rs:3*rs+depth], data[4*rs:4*rs+depth], data[5*rs:5*rs+depth]
	panel = panel[:depth*mr]
	for p := range r0 {
		d := (*[mr]float32)(panel[p*mr:])
		d[0], d[1], d[2], d[3], d[4], d[5] = r0[p], r1[p], r2[p], r3[p], r4[p], r5[p]
	}
}

// maxRows is the most rows of an A panel packRows interleaves.
const maxRows = 8

// packRows interleaves depth values from each of mr ≤ maxRows rows of
// data, rs apart, into an A panel, step by step (packRows6, unrolled, is
// faster for six).
func packRows(panel, data []float32, mr, rs, depth int) {
	var rows [maxRows][]float32
	for r := range mr {
		rows[r] = data[r*rs : r*rs+depth]
	}
	panel = panel[:depth*mr]
	for p := range depth {
		d := panel[p*mr : p*mr+mr]
		for r := range d {
			d[r] = rows[r][p]
		}
	}
}

// packIndexed fills h rows of an mr-row A panel from a non-transposed a
// whose columns are permuted by Index, row by row.
func packIndexed(panel []float32, a Matrix, mr, h, i0, p0, depth int) {
	idx := a.Index[p0 : p0+depth]
	for r := 0; r < h; r++ {
		row := a.Data[(i0+r)*a.Stride:]
		for p, q := range idx {
			panel[p*mr+r] = row[q]
		}
	}
}

// packAny fills w lanes of a panel of width lanes through Matrix.offset:
// lane l, step p is element (i0+l, p0+p) of m, or (p0+p, i0+l) when byRow
// (a B panel, whose lanes are columns).
func packAny(panel []float32, m Matrix, lanes, w, depth, i0, p0 int, byRow bool) {
	for l := 0; l < w; l++ {
		for p := 0; p < depth; p++ {
			i, j := i0+l, p0+p
			if byRow {
				i, j = j, i
			}
			panel[p*lanes+l] = m.Data[m.offset(i, j)]
		}
	}
}

// packB copies rows [p0, p0+depth) and columns [j0, j0+cols) of b into dst
// as consecutive PanelWidth-column panels: panel j holds, for each depth
// step, PanelWidth values (zero past the last column).
func packB(dst []float32, b Matrix, p0, depth, j0, cols int) {
	rs, cs := b.steps()
	for jr := 0; jr < cols; jr += PanelWidth {
		panel := dst[jr*depth : (jr+PanelWidth)*depth]
		w := min(PanelWidth, cols-jr)
		base := p0*rs + (j0+jr)*cs
		if cs == 1 && b.Index == nil {
			packCols(panel, b.Data, base, rs, depth, w)
			continue
		}
		if w < PanelWidth {
			clear(panel)
		}
		if b.Index != nil {
			packAny(panel, b, PanelWidth, w, depth, j0+jr, p0, true)
			continue
		}
		for j := 0; j < w; j++ {
			src := base + j*cs
			for p := 0; p < depth; p++ {
				panel[p*PanelWidth+j] = b.Data[src+p*rs]
			}
		}
	}
}

// packCols fills a B panel from rows that are contiguous in memory.
func packCols(panel, data []float32, base, rs, depth, w int) {
	for p := 0; p < depth; p++ {
		row := panel[p*PanelWidth : p*PanelWidth+PanelWidth]
		n := copy(row[:w], data[base+p*rs:base+p*rs+w])
		clear(row[n:])
	}
}

// packSource is packB for a Source.
func packSource(dst []float32, src Source, p0, depth, j0, cols int) {
	for jr := 0; jr < cols; jr += PanelWidth {
		panel := dst[jr*depth : (jr+PanelWidth)*depth]
		w := min(PanelWidth, cols-jr)
		if w < PanelWidth {
			clear(panel)
		}
		src.Pack(panel, p0, depth, j0+jr, w)
	}
}
