// Command operations prints, as JSON, the spec operations each public method of the bassa
// facade calls: {"Downloads.Add": ["add_download"], ...}. The parity test
// (tests/unit/test_go_parity.py) compares it with the Python SDK's.
//
// It reads the facade's source: a method's operations are the bassaapi.Op* constants it names;
// a method that names none takes those of the same-receiver methods it refers to (Wait polls
// with Status, All pages with List).
//
//	go run ./internal/cmd/operations [DIR]   (default: bassa)
package main

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/scorelab/bassa-sdk/go/internal/bassaapi"
)

func main() {
	dir := "bassa"
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	result, err := operations(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	out, _ := json.MarshalIndent(result, "", "  ")
	fmt.Println(string(out))
}

// constName is the generated constant's name of an operationId: add_download -> OpAddDownload.
func constName(id string) string {
	var b strings.Builder
	b.WriteString("Op")
	for _, part := range strings.Split(id, "_") {
		if part != "" {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String()
}

type method struct {
	service string
	name    string
	ops     []string
	refs    []string // same-receiver methods it refers to
}

func operations(dir string) (map[string][]string, error) {
	byConst := map[string]string{}
	for id := range bassaapi.Operations {
		byConst[constName(id)] = id
	}
	fset := token.NewFileSet()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	methods := map[string]*method{} // "Service.Method"
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return nil, err
		}
		for _, decl := range file.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Recv == nil || fn.Body == nil {
				continue
			}
			service := receiverType(fn.Recv.List[0].Type)
			if !strings.HasSuffix(service, "Service") {
				continue
			}
			recv := ""
			if names := fn.Recv.List[0].Names; len(names) > 0 {
				recv = names[0].Name
			}
			m := &method{service: strings.TrimSuffix(service, "Service"), name: fn.Name.Name}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				sel, ok := n.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				if x, ok := sel.X.(*ast.Ident); ok {
					if x.Name == "bassaapi" {
						if id, ok := byConst[sel.Sel.Name]; ok && !slices.Contains(m.ops, id) {
							m.ops = append(m.ops, id)
						}
					} else if x.Name == recv {
						m.refs = append(m.refs, sel.Sel.Name)
					}
				}
				return true
			})
			methods[m.service+"."+m.name] = m
		}
	}
	result := map[string][]string{}
	for key, m := range methods {
		if !ast.IsExported(m.name) {
			continue
		}
		ops := resolve(methods, m, map[string]bool{})
		if len(ops) > 0 {
			slices.Sort(ops)
			result[key] = ops
		}
	}
	return result, nil
}

func resolve(methods map[string]*method, m *method, seen map[string]bool) []string {
	if len(m.ops) > 0 {
		return slices.Clone(m.ops)
	}
	var ops []string
	for _, ref := range m.refs {
		key := m.service + "." + ref
		target, ok := methods[key]
		if !ok || seen[key] {
			continue
		}
		seen[key] = true
		for _, op := range resolve(methods, target, seen) {
			if !slices.Contains(ops, op) {
				ops = append(ops, op)
			}
		}
	}
	return ops
}

func receiverType(expr ast.Expr) string {
	if star, ok := expr.(*ast.StarExpr); ok {
		expr = star.X
	}
	if ident, ok := expr.(*ast.Ident); ok {
		return ident.Name
	}
	return ""
}
