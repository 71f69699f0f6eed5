package hook

import (
	"errors"
	"fmt"
	"math/big"
	"reflect"
	"sync"
	"sync/atomic"

	"github.com/dop251/goja"
	"github.com/dop251/goja/ast"
	"github.com/dop251/goja/file"
	"github.com/dop251/goja/parser"
)

// wrapperPrefix turns a script into a CommonJS module function, as Node
// does, so that its top-level declarations are local to one execution.
// It shares the first line with the script, so line numbers are unchanged.
const wrapperPrefix = "(function (exports, require, module, __filename, __dirname) {"

const wrapperSuffix = "\n})"

// Program is a compiled Script. It is immutable as far as callers can see
// and safe for concurrent use. It pools the goja runtimes that run it
// (about 0.4 MB each, 0.6 ms to create); one stays idle for as long as the
// Program is reachable, the others go when the GC needs the memory.
type Program struct {
	id      string
	name    string
	kind    Kind
	secrets map[string]string
	prg     *goja.Program
	spreads bool // prg calls spreadGuard

	// idle keeps up to maxIdleVMs runtimes out of reach of the GC, which
	// empties a sync.Pool every other cycle: under load (many allocations,
	// frequent GCs) a sync.Pool alone made credo recreate runtimes at
	// 0.6 ms and 0.4 MB each (profiled under wrk with one action bound).
	// pool takes the overflow beyond that.
	idle chan *vm
	pool sync.Pool // of *vm
	// stuck counts executions abandoned in a built-in that have not ended.
	stuck atomic.Int32
	// inflight counts the Runs whose chain holds this program and whose
	// worker has not finished, stuck ones included.
	inflight atomic.Int32
}

// getVM returns an idle runtime of p, or nil.
func (p *Program) getVM() *vm {
	select {
	case v := <-p.idle:
		return v
	default:
	}
	v, _ := p.pool.Get().(*vm)
	return v
}

// putVM returns an idle runtime to p.
func (p *Program) putVM(v *vm) {
	select {
	case p.idle <- v:
	default:
		p.pool.Put(v)
	}
}

// maxIdleVMs bounds the runtimes a Program keeps across GCs (about 0.4 MB
// each): enough for the concurrency of a loaded 2-4 core server.
const maxIdleVMs = 64

// ID returns Script.ID.
func (p *Program) ID() string { return p.id }

// Name returns Script.Name.
func (p *Program) Name() string { return p.name }

// Kind returns Script.Kind.
func (p *Program) Kind() Kind { return p.kind }

// CompileError reports a Script that Compile refused.
type CompileError struct {
	Script string
	// Line and Column locate a syntax error in Script.Code (1-based); both
	// are 0 when the error has no position.
	Line, Column int
	Reason       string
}

// Error implements error.
func (e *CompileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("hook: %s:%d:%d: %s", e.Script, e.Line, e.Column, e.Reason)
	}
	return fmt.Sprintf("hook: %s: %s", e.Script, e.Reason)
}

// maxNesting bounds how deeply a script's syntax may nest (expressions,
// statements and functions within each other). goja's compiler takes time
// that grows with the square of the nesting depth (it re-derives whether a
// binary expression is constant, and where it starts, at every level of a
// chain such as 1+1+…+1): 100 kB of such a chain took 13 s to compile.
// Ordinary code nests a few dozen levels; see BenchmarkCompile for what
// code at this limit costs.
const maxNesting = 1000

// fileNames are the file names goja records in a compiled script, which
// stack traces show. They do not depend on Script.Name, so that one compiled
// form serves every script with the same code (see compiled).
var fileNames = map[Kind]string{KindAction: "action.js", KindHook: "hook.js"}

// Compile parses and compiles s. Syntax errors are reported as a
// *CompileError with the line and column in s.Code. Code over MaxCodeSize,
// code nested deeper than 1000 levels, BigInt literals (BigInt is not
// available) and code that closes the module function it is wrapped in are
// refused too.
//
// The compiled form of each distinct code is kept in a process-wide cache
// bounded in entries and in code bytes, so that compiling the same code
// again (when it is validated at deploy, compiled for a snapshot, bound, or
// compiled for another snapshot) costs a hash of the code.
func Compile(s Script) (*Program, error) {
	name := s.Name
	if name == "" {
		name = s.ID
	}
	if s.Kind != KindAction && s.Kind != KindHook {
		return nil, &CompileError{Script: name, Reason: fmt.Sprintf("unknown kind %d", int(s.Kind))}
	}
	if len(s.Code) > MaxCodeSize {
		return nil, &CompileError{Script: name,
			Reason: fmt.Sprintf("code is %d bytes, more than the %d allowed", len(s.Code), MaxCodeSize)}
	}
	prg, err := compiled.get(s.Kind, s.Code)
	if err != nil {
		err.Script = name
		return nil, err
	}
	secrets := make(map[string]string, len(s.Secrets))
	for k, v := range s.Secrets {
		secrets[k] = v
	}
	return &Program{id: s.ID, name: name, kind: s.Kind, secrets: secrets, prg: prg.prg, spreads: prg.spreads,
		idle: make(chan *vm, maxIdleVMs)}, nil
}

// compileCode parses, checks and compiles code of kind; the CompileError
// it returns has no Script.
func compileCode(kind Kind, code string) (*compiledCode, *CompileError) {
	cerr := func(line, col int, format string, args ...any) *CompileError {
		return &CompileError{Line: line, Column: col, Reason: fmt.Sprintf(format, args...)}
	}
	src := wrapperPrefix + code + wrapperSuffix
	// Source maps are disabled: a sourceMappingURL comment would otherwise
	// make the parser read a file.
	tree, err := parser.ParseFile(nil, fileNames[kind], src, 0, parser.WithDisableSourceMaps)
	if err != nil {
		var list parser.ErrorList
		if errors.As(err, &list) && len(list) > 0 {
			line, col := codePosition(list[0].Position)
			return nil, cerr(line, col, "%s", list[0].Message)
		}
		return nil, cerr(0, 0, "%v", err)
	}
	position := func(idx file.Idx) (int, int) {
		return codePosition(tree.File.Position(int(idx) - tree.File.Base()))
	}
	if moduleFunction(tree) == nil {
		// The only way to get anything else is a '}' that closes the
		// wrapper function early: report where.
		line, col := 0, 0
		start := file.Idx(tree.File.Base() + 1) // just after "("
		walkAST(tree, func(n any, _ int) bool {
			if fn, ok := n.(*ast.FunctionLiteral); ok && fn.Function == start {
				line, col = position(fn.Body.RightBrace)
				return true
			}
			return false
		})
		return nil, cerr(line, col, "unexpected '}' closing the module")
	}
	var (
		refused *CompileError
		sources = &spreadSources{params: make(map[*ast.Binding]bool), wrappable: make(map[*ast.ObjectPattern]bool)}
	)
	walkAST(tree, func(n any, depth int) bool {
		switch n := n.(type) {
		case *ast.NumberLiteral:
			if _, ok := n.Value.(*big.Int); ok {
				line, col := position(n.Idx)
				refused = cerr(line, col, "BigInt is not available in credo %ss", kind)
				return true
			}
		case *ast.WithStatement:
			line, col := position(n.With)
			refused = cerr(line, col, "with statements are not supported in credo %ss", kind)
			return true
		}
		sources.visit(n)
		if depth > maxNesting {
			line, col := 0, 0
			if node, ok := n.(ast.Node); ok {
				line, col = position(node.Idx0())
			}
			refused = cerr(line, col, "the code nests more than %d levels deep", maxNesting)
			return true
		}
		return false
	})
	if refused != nil {
		return nil, refused
	}
	if p := sources.unwrappable(); p != nil {
		line, col := position(p.LeftBrace)
		return nil, cerr(line, col, "an object rest (...) is supported in credo %ss only at the top of a declaration "+
			"with an initializer or of an assignment: destructure the value there first", kind)
	}
	spreads := sources.rewrite()
	prg, err := goja.CompileAST(tree, false)
	if err != nil {
		var se *goja.CompilerSyntaxError
		if errors.As(err, &se) && se.File != nil {
			line, col := codePosition(se.File.Position(se.Offset))
			return nil, cerr(line, col, "%s", se.Message)
		}
		return nil, cerr(0, 0, "%v", err)
	}
	return &compiledCode{prg: prg, spreads: spreads}, nil
}

// compiledCode is the compiled form of a script's code.
type compiledCode struct {
	prg *goja.Program
	// spreads is set when the code calls spreadGuard.
	spreads bool
}

// spreadGuard is the global function Compile makes object spreads and
// object rests pass their source through (the prelude's spreadSource):
// goja copies every property of the source in one native step, which for a
// string of 16 Mi characters allocated gigabytes. Its name is not an
// identifier a script can write, and the global that holds it is not
// writable or configurable, and with statements are refused, so a script
// cannot replace it.
const spreadGuard = "%credo.spreadSource"

// spreadSources collects, during the walk, the expressions whose
// properties an object spread or an object rest copies.
type spreadSources struct {
	literals  []*ast.ObjectLiteral // literals with a spread element
	bindings  []*ast.Binding       // declarations whose pattern has a rest
	assigns   []*ast.AssignExpression
	params    map[*ast.Binding]bool // parameters: their initializer is a default
	rests     []*ast.ObjectPattern  // every object pattern with a rest
	wrappable map[*ast.ObjectPattern]bool
}

func (c *spreadSources) visit(n any) {
	switch n := n.(type) {
	case *ast.ParameterList:
		for _, b := range n.List {
			c.params[b] = true
		}
	case *ast.ObjectLiteral:
		for _, p := range n.Value {
			if _, ok := p.(*ast.SpreadElement); ok {
				c.literals = append(c.literals, n)
				break
			}
		}
	case *ast.ObjectPattern:
		if n.Rest != nil {
			c.rests = append(c.rests, n)
		}
	case *ast.Binding:
		if p, ok := n.Target.(*ast.ObjectPattern); ok && p.Rest != nil && n.Initializer != nil && !c.params[n] {
			c.bindings = append(c.bindings, n)
			c.wrappable[p] = true
		}
	case *ast.AssignExpression:
		if p, ok := n.Left.(*ast.ObjectPattern); ok && p.Rest != nil {
			c.assigns = append(c.assigns, n)
			c.wrappable[p] = true
		}
	}
}

// unwrappable returns an object pattern with a rest whose source cannot be
// passed through spreadGuard (a parameter, a loop variable, a catch
// parameter, a pattern nested in another), or nil.
func (c *spreadSources) unwrappable() *ast.ObjectPattern {
	for _, p := range c.rests {
		if !c.wrappable[p] {
			return p
		}
	}
	return nil
}

// rewrite passes every source through spreadGuard and reports whether there
// was any.
func (c *spreadSources) rewrite() bool {
	for _, lit := range c.literals {
		for _, p := range lit.Value {
			if sp, ok := p.(*ast.SpreadElement); ok {
				sp.Expression = guardCall(sp.Expression)
			}
		}
	}
	for _, b := range c.bindings {
		b.Initializer = guardCall(b.Initializer)
	}
	for _, a := range c.assigns {
		a.Right = guardCall(a.Right)
	}
	return len(c.literals)+len(c.bindings)+len(c.assigns) > 0
}

// guardCall returns spreadGuard(e), placed where e is.
func guardCall(e ast.Expression) ast.Expression {
	return &ast.CallExpression{
		Callee:           &ast.Identifier{Name: spreadGuard, Idx: e.Idx0()},
		LeftParenthesis:  e.Idx0(),
		ArgumentList:     []ast.Expression{e},
		RightParenthesis: e.Idx1(),
	}
}

// codePosition maps a position in the wrapped source to one in Script.Code.
func codePosition(p file.Position) (line, col int) {
	if p.Line == 1 {
		return 1, max(1, p.Column-len(wrapperPrefix))
	}
	return p.Line, p.Column
}

// moduleFunction returns the wrapper function when tree is exactly the
// wrapper: one expression statement that is one function literal.
func moduleFunction(tree *ast.Program) *ast.FunctionLiteral {
	if len(tree.Body) != 1 {
		return nil
	}
	stmt, ok := tree.Body[0].(*ast.ExpressionStatement)
	if !ok {
		return nil
	}
	fn, _ := stmt.Expression.(*ast.FunctionLiteral)
	return fn
}

var astPkg = reflect.TypeFor[ast.Program]().PkgPath()

// walkAST calls visit with every node of tree and its depth (the number of
// nodes it is nested in), depth first, until visit returns true. goja's ast
// has no walker; this one follows every field whose type is declared in
// package ast, and visits a node reachable by two paths (a function's
// declaration list repeats its var declarations) once.
func walkAST(tree *ast.Program, visit func(node any, depth int) bool) {
	seen := make(map[uintptr]bool)
	var walk func(v reflect.Value, depth int) bool
	walk = func(v reflect.Value, depth int) bool {
		switch v.Kind() {
		case reflect.Interface:
			return !v.IsNil() && walk(v.Elem(), depth)
		case reflect.Pointer:
			if v.IsNil() || v.Type().Elem().PkgPath() != astPkg || seen[v.Pointer()] {
				return false
			}
			seen[v.Pointer()] = true
			// Nodes are reached through exported fields, so Interface is
			// allowed.
			if v.CanInterface() && visit(v.Interface(), depth) {
				return true
			}
			return walk(v.Elem(), depth+1)
		case reflect.Struct:
			if v.Type().PkgPath() != astPkg {
				return false
			}
			for i := range v.NumField() {
				if walk(v.Field(i), depth) {
					return true
				}
			}
		case reflect.Slice:
			for i := range v.Len() {
				if walk(v.Index(i), depth) {
					return true
				}
			}
		}
		return false
	}
	walk(reflect.ValueOf(tree), 0)
}
