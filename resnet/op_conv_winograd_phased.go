package resnet

// winogradPhasedTiles is the most tiles of a map (TH·TW) for which an
// image is one block: layer3's 14x14 maps at 224x224 have 49. Split into
// chunks of tile rows, such a map would leave each product a panel or
// two wide and stream each transformed weight once per chunk.
const winogradPhasedTiles = 64

// phased computes each of the images as one block, in three phases each
// shared among the workers: the input transform channel by channel, the
// 16 products one ξ each, and the output transform with the post output
// channel by output channel. Each transformed weight U[ξ] is then read
// by one goroutine, for the whole map.
func (r *winogradRun) phased(sc *winogradScratch, images int) error {
	g := r.op.geom
	for img := 0; img < images; img++ {
		b := r.block(&sc.v, &sc.m, img, 0, r.l.TH)
		err := r.each(sc, g.cin, func(wk *winogradWorker, c int) error {
			r.input(wk, &b, c)
			return nil
		})
		if err == nil {
			err = r.each(sc, r.l.Tiles(), func(wk *winogradWorker, xi int) error { return r.product(wk, &b, xi) })
		}
		if err == nil {
			err = r.each(sc, g.cout, func(wk *winogradWorker, co int) error {
				r.output(wk, &b, co)
				return r.post(wk, img, co, co+1, 0, r.l.H)
			})
		}
		if err != nil {
			return err
		}
	}
	return nil
}
