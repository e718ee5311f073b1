package rule

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

//go:embed builtin/*.toml
var builtinFS embed.FS

// Builtin returns the rules embedded in the binary (internal/rule/builtin),
// Source "builtin", Path "builtin:<file name without .toml>", in file-name
// order. They are in Elastic's TOML format; an error means a built-in file
// is broken, which the package's tests rule out.
func Builtin() ([]*Rule, error) {
	ents, err := fs.ReadDir(builtinFS, "builtin")
	if err != nil {
		return nil, fmt.Errorf("read built-in rules: %w", err)
	}
	var (
		rules []*Rule
		errs  []error
	)
	for _, e := range ents {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".toml") {
			continue
		}
		data, err := builtinFS.ReadFile(path.Join("builtin", e.Name()))
		if err != nil {
			errs = append(errs, fmt.Errorf("read built-in rule %s: %w", e.Name(), err))
			continue
		}
		r, lerr := Parse("builtin:"+strings.TrimSuffix(e.Name(), ".toml"), data, SourceBuiltin)
		if lerr != nil {
			errs = append(errs, lerr)
			continue
		}
		rules = append(rules, r)
	}
	return rules, errors.Join(errs...)
}
