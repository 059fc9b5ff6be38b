package weights_test

import (
	"fmt"
	"log"

	"github.com/xrayllm/xray/weights"
)

func Example() {
	// A torch.save(model.state_dict()) file; training checkpoints
	// ({"state_dict": ...}) and the legacy format load the same way.
	sd, err := weights.Load("testdata/sd_zip.pt", nil)
	if err != nil {
		log.Fatal(err)
	}
	for _, name := range sd.Names()[:3] {
		fmt.Println(name, sd[name].Shape)
	}
	w := sd["conv.weight"]
	fmt.Println(len(w.Data), w.Shape)
	fmt.Println(sd["view"].Data)
	// Output:
	// bf16 [2 2]
	// big [10]
	// bn.bias [4]
	// 108 [4 3 3 3]
	// [1 1.5 2]
}
