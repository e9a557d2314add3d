// gomerge prepares several single-file Go test programs (each `package main`) to be compiled as ONE package,
// so a whole chunk of samples needs one compile and one link instead of one per sample.
//
// Usage: gomerge -out DIR IN1:SUFFIX1 IN2:SUFFIX2 ...
//
// Every top-level name a file declares (functions, types, vars, consts; not methods) gets the file's suffix,
// at its declaration and at every use the parser resolves to it; the text is edited in place (only those
// identifiers grow), so formatting and line numbers stay as they were. The result goes to DIR/<base of IN>.
// A file is reported as not mergeable when anything in it would run for, or act on, the other samples of
// the merged test binary: func init, func TestMain, package-level var initialisers that call anything,
// //go: directives, cgo; or when it does not parse. Those files are not written.
//
// stdout: one JSON object per input, {"file": IN, "mergeable": bool, "reason": "..."}.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

type report struct {
	File      string `json:"file"`
	Mergeable bool   `json:"mergeable"`
	Reason    string `json:"reason,omitempty"`
}

func unmergeable(f *ast.File, src []byte) string {
	for _, imp := range f.Imports {
		if imp.Path.Value == `"C"` {
			return "uses cgo"
		}
	}
	for _, cg := range f.Comments {
		for _, c := range cg.List {
			if strings.HasPrefix(c.Text, "//go:") {
				return "has a //go: directive"
			}
		}
	}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Recv == nil && (d.Name.Name == "init" || d.Name.Name == "TestMain") {
				return "declares func " + d.Name.Name
			}
		case *ast.GenDecl:
			if d.Tok != token.VAR {
				continue
			}
			for _, spec := range d.Specs {
				vs := spec.(*ast.ValueSpec)
				for _, v := range vs.Values {
					calls := false
					ast.Inspect(v, func(n ast.Node) bool {
						switch n.(type) {
						case *ast.CallExpr, *ast.FuncLit:
							calls = true
						}
						return !calls
					})
					if calls {
						return "package-level var initialiser calls a function"
					}
				}
			}
		}
	}
	return ""
}

func rewrite(src []byte, f *ast.File, fset *token.FileSet, suffix string) []byte {
	var offsets []int
	ast.Inspect(f, func(n ast.Node) bool {
		id, ok := n.(*ast.Ident)
		if !ok || id.Obj == nil || id.Name == "_" {
			return true
		}
		if obj, top := f.Scope.Objects[id.Name]; top && obj == id.Obj {
			offsets = append(offsets, fset.Position(id.End()).Offset)
		}
		return true
	})
	sort.Ints(offsets)
	var b strings.Builder
	prev := 0
	for _, off := range offsets {
		if off < prev {
			continue
		}
		b.Write(src[prev:off])
		b.WriteString(suffix)
		prev = off
	}
	b.Write(src[prev:])
	return []byte(b.String())
}

func main() {
	out := flag.String("out", "", "output directory")
	flag.Parse()
	if *out == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: gomerge -out DIR FILE:SUFFIX...")
		os.Exit(2)
	}
	enc := json.NewEncoder(os.Stdout)
	for _, arg := range flag.Args() {
		i := strings.LastIndex(arg, ":")
		if i < 0 {
			fmt.Fprintln(os.Stderr, "bad argument (want FILE:SUFFIX):", arg)
			os.Exit(2)
		}
		path, suffix := arg[:i], arg[i+1:]
		r := report{File: path}
		src, err := os.ReadFile(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, src, parser.ParseComments)
		if err != nil {
			r.Reason = "does not parse"
		} else if f.Name.Name != "main" {
			r.Reason = "package is not main"
		} else {
			r.Reason = unmergeable(f, src)
		}
		if r.Reason == "" {
			r.Mergeable = true
			dst := filepath.Join(*out, filepath.Base(path))
			if err := os.WriteFile(dst, rewrite(src, f, fset, suffix), 0o644); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(2)
			}
		}
		if err := enc.Encode(r); err != nil {
			os.Exit(2)
		}
	}
}
