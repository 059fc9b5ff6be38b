package reftest

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Test624Row is one line of test624/test624_resnet34.tsv: PyTorch's
// prediction for one image of the Kermany test split.
type Test624Row struct {
	// File is the path under test624/, e.g. NORMAL/IM-0001-0001.jpeg.
	File string
	// Label is the true class, Pred PyTorch's.
	Label, Pred string
	// PPneumonia is PyTorch's probability of PNEUMONIA.
	PPneumonia float64
}

// Test624 reads test624/test624_resnet34.tsv from dir.
func Test624(t testing.TB, dir string) []Test624Row {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "test624", "test624_resnet34.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []Test624Row
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		c := strings.Split(sc.Text(), "\t")
		if len(c) != 7 {
			t.Fatalf("bad TSV line %q", sc.Text())
		}
		p, err := strconv.ParseFloat(c[3], 64)
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, Test624Row{File: c[0], Label: c[1], Pred: c[6], PPneumonia: p})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}
