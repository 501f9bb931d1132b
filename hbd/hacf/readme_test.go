package hacf

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestREADMEListsEveryDirective keeps README's directive table in step with
// the parser's table, so what README says is supported is what hbd does.
func TestREADMEListsEveryDirective(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Skipf("README.md not found: %v", err)
	}
	readme := string(b)
	for _, d := range Directives() {
		st := "supported"
		if !d.Supported {
			st = "parsed, not yet supported"
		}
		def := d.Default
		if def == "" {
			def = "—"
		}
		row := fmt.Sprintf("| `%s` | %s | %s |", d.Name, st, def)
		if !strings.Contains(readme, row) {
			t.Errorf("README.md lacks the row %s", row)
		}
	}
}
