package test

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Size limits of the production code (Go outside _test.go files and test/),
// held here so that later work keeps them (issue 19): small files that do
// one job, and functions a reader can hold in mind.
const (
	maxFileLines     = 400
	maxMedianLines   = 120 // the median must stay below this
	maxFunctionLines = 80
)

// productionFiles returns the repository's production Go files, relative to
// its root, with their contents; generated files are left out.
func productionFiles(t *testing.T) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel("..", path)
		if d.IsDir() {
			if rel == "test" || rel == "node_modules" || strings.HasPrefix(d.Name(), ".") && rel != "." {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(src, []byte("// Code generated")) && bytes.Contains(src, []byte("DO NOT EDIT")) {
			return nil
		}
		files[rel] = src
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestProductionFileSizes(t *testing.T) {
	files := productionFiles(t)
	var lines []int
	for name, src := range files {
		n := bytes.Count(src, []byte("\n"))
		lines = append(lines, n)
		if n > maxFileLines {
			t.Errorf("%s has %d lines; split it by job (at most %d)", name, n, maxFileLines)
		}
	}
	slices.Sort(lines)
	if len(lines) == 0 {
		t.Fatal("no production files found")
	}
	if median := lines[len(lines)/2]; median >= maxMedianLines {
		t.Errorf("median production file has %d lines; keep it under %d", median, maxMedianLines)
	}
}

func TestFunctionSizes(t *testing.T) {
	fset := token.NewFileSet()
	for name, src := range productionFiles(t) {
		f, err := parser.ParseFile(fset, name, src, 0)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			n := fset.Position(fn.End()).Line - fset.Position(fn.Pos()).Line + 1
			if n > maxFunctionLines {
				t.Errorf("%s: %s has %d lines (at most %d)", name, fn.Name.Name, n, maxFunctionLines)
			}
		}
	}
}
