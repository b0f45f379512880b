package e2e

import (
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/anishathalye/porcupine"
)

// The porcupine model of the workspace service, restricted to what the
// fault workload touches: a small universe of workspace names, each with a
// description and a few entity references of one type, plus the total of
// the workspace list (which also counts workspaces outside the universe,
// e.g. the built-ins, as a constant base).

// maxNames bounds the universe so that modelState is a comparable array.
const maxNames = 8

// opKind is the operation of one history entry.
type opKind uint8

const (
	opCreate  opKind = iota // POST /workspaces
	opUpdate                // PUT /workspaces/{ws} (description)
	opDelete                // DELETE /workspaces/{ws}
	opGet                   // GET /workspaces/{ws}?consistency=linearizable
	opAcquire               // PUT /workspaces/{ws}/entity-refs/{type}/{ref}
	opRelease               // DELETE /workspaces/{ws}/entity-refs/{type}/{ref}
	opRefs                  // GET /workspaces/{ws}/entity-refs?consistency=linearizable
	opList                  // GET /workspaces?consistency=linearizable → total_results
)

var opNames = [...]string{"create", "update", "delete", "get", "acquire", "release", "refs", "list"}

func (k opKind) String() string {
	if int(k) < len(opNames) {
		return opNames[k]
	}
	return fmt.Sprintf("op%d", k)
}

// isWrite reports whether the operation may change the state.
func (k opKind) isWrite() bool {
	switch k {
	case opCreate, opUpdate, opDelete, opAcquire, opRelease:
		return true
	}
	return false
}

// wsInput is an operation's input. ws and ref index the universe; desc is
// the description a create or update sets (a create without one leaves it
// null: hasDesc false).
type wsInput struct {
	kind    opKind
	ws      int
	ref     int
	desc    string
	hasDesc bool
}

// wsOutput is an operation's observed result. unknown marks an operation
// whose outcome is not known (timeout, cut connection, 503
// outcome_unknown, another 5xx): the model accepts it as applied or not.
type wsOutput struct {
	unknown bool
	status  int
	// desc/hasDesc: the description a get returned (hasDesc false: null).
	desc    string
	hasDesc bool
	// refs: the references a refs read returned, as a bit set.
	refs uint8
	// total: pagination.total_results of a list.
	total int
}

// wsState is one universe name's state.
type wsState struct {
	exists  bool
	hasDesc bool
	desc    string
	refs    uint8
}

// modelState is the whole universe. It is a value: Step copies it.
type modelState struct {
	ws [maxNames]wsState
}

// wsModel describes a universe: its names and reference names, the state
// a history starts in, and the number of workspaces outside the universe
// that a list counts.
type wsModel struct {
	names []string
	refs  []string
	init  modelState
	base  int
}

// step applies in to s as the service would and returns the result the
// service must answer with (status, and for reads the body) and the next
// state.
func modelStep(s modelState, in wsInput) (wsOutput, modelState) {
	w := &s.ws[in.ws]
	switch in.kind {
	case opCreate:
		if w.exists {
			return wsOutput{status: 409}, s
		}
		*w = wsState{exists: true, hasDesc: in.hasDesc, desc: in.desc}
		return wsOutput{status: 201}, s
	case opUpdate:
		if !w.exists {
			return wsOutput{status: 404}, s
		}
		w.hasDesc, w.desc = in.hasDesc, in.desc
		return wsOutput{status: 200}, s
	case opDelete:
		switch {
		case !w.exists:
			return wsOutput{status: 404}, s
		case w.refs != 0:
			return wsOutput{status: 409}, s
		}
		*w = wsState{}
		return wsOutput{status: 200}, s
	case opGet:
		if !w.exists {
			return wsOutput{status: 404}, s
		}
		return wsOutput{status: 200, hasDesc: w.hasDesc, desc: w.desc}, s
	case opAcquire:
		bit := uint8(1) << in.ref
		switch {
		case !w.exists:
			return wsOutput{status: 404}, s
		case w.refs&bit != 0:
			return wsOutput{status: 200}, s
		}
		w.refs |= bit
		return wsOutput{status: 201}, s
	case opRelease:
		bit := uint8(1) << in.ref
		if !w.exists || w.refs&bit == 0 {
			return wsOutput{status: 404}, s
		}
		w.refs &^= bit
		return wsOutput{status: 200}, s
	case opRefs:
		if !w.exists {
			return wsOutput{status: 404}, s
		}
		return wsOutput{status: 200, refs: w.refs}, s
	case opList:
		n := 0
		for _, x := range s.ws {
			if x.exists {
				n++
			}
		}
		return wsOutput{status: 200, total: n}, s
	}
	panic(fmt.Sprintf("unknown op kind %d", in.kind))
}

// matches reports whether the observed output equals the model's.
func (m *wsModel) matches(kind opKind, want, got wsOutput) bool {
	if want.status != got.status {
		return false
	}
	if want.status != 200 {
		return true
	}
	switch kind {
	case opGet:
		return want.hasDesc == got.hasDesc && want.desc == got.desc
	case opRefs:
		return want.refs == got.refs
	case opList:
		return want.total+m.base == got.total
	}
	return true
}

// porcupine returns the model in porcupine's form.
//
// It is nondeterministic: an operation whose outcome is unknown leads both
// to the state where it took effect and to the one where it did not.
// (A deterministic model that always applies it is also correct, since an
// operation returning at infinity can be placed after every other, where
// its effect is unobservable; but the checker then has to backtrack to
// find that placement for every write that never took effect, which is
// exponential in their number. Keeping both states costs little.)
func (m *wsModel) porcupine() porcupine.Model {
	nd := porcupine.NondeterministicModel{
		Init: func() []any { return []any{m.init} },
		Step: func(state, input, output any) []any {
			s, in, out := state.(modelState), input.(wsInput), output.(wsOutput)
			want, next := modelStep(s, in)
			if out.unknown {
				if next == s {
					return []any{s}
				}
				return []any{s, next}
			}
			if !m.matches(in.kind, want, out) {
				return nil
			}
			return []any{next}
		},
		Hash: func(state any) uint64 { return hashState(state.(modelState)) },
		DescribeOperation: func(input, output any) string {
			return m.describeOp(input.(wsInput), output.(wsOutput))
		},
		DescribeState: func(state any) string { return m.describeState(state.(modelState)) },
		DescribeOperationMetadata: func(info any) string {
			if info == nil {
				return ""
			}
			return fmt.Sprint(info)
		},
	}
	return nd.ToModel()
}

func hashState(s modelState) uint64 {
	h := fnv.New64a()
	var b [3]byte
	for _, w := range s.ws {
		b[0], b[1], b[2] = 0, 0, w.refs
		if w.exists {
			b[0] = 1
		}
		if w.hasDesc {
			b[1] = 1
		}
		h.Write(b[:])
		h.Write([]byte(w.desc))
	}
	return h.Sum64()
}

func (m *wsModel) name(i int) string {
	if i < len(m.names) {
		return m.names[i]
	}
	return fmt.Sprintf("ws#%d", i)
}

func (m *wsModel) ref(i int) string {
	if i < len(m.refs) {
		return m.refs[i]
	}
	return fmt.Sprintf("ref#%d", i)
}

func descString(has bool, d string) string {
	if !has {
		return "null"
	}
	return fmt.Sprintf("%q", d)
}

func (m *wsModel) describeOp(in wsInput, out wsOutput) string {
	var call string
	switch in.kind {
	case opCreate, opUpdate:
		call = fmt.Sprintf("%s(%s, %s)", in.kind, m.name(in.ws), descString(in.hasDesc, in.desc))
	case opAcquire, opRelease:
		call = fmt.Sprintf("%s(%s, %s)", in.kind, m.name(in.ws), m.ref(in.ref))
	case opList:
		call = "list()"
	default:
		call = fmt.Sprintf("%s(%s)", in.kind, m.name(in.ws))
	}
	if out.unknown {
		return call + " -> ?"
	}
	res := fmt.Sprint(out.status)
	if out.status == 200 {
		switch in.kind {
		case opGet:
			res += " " + descString(out.hasDesc, out.desc)
		case opRefs:
			res += " " + m.refSet(out.refs)
		case opList:
			res += fmt.Sprintf(" total=%d", out.total)
		}
	}
	return call + " -> " + res
}

func (m *wsModel) refSet(bits uint8) string {
	var held []string
	for i := 0; i < 8; i++ {
		if bits&(1<<i) != 0 {
			held = append(held, m.ref(i))
		}
	}
	return "[" + strings.Join(held, " ") + "]"
}

func (m *wsModel) describeState(s modelState) string {
	var parts []string
	for i, w := range s.ws {
		if !w.exists {
			continue
		}
		p := m.name(i) + ":" + descString(w.hasDesc, w.desc)
		if w.refs != 0 {
			p += m.refSet(w.refs)
		}
		parts = append(parts, p)
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// infinity is the return time of an operation whose outcome is unknown.
const infinity = int64(1<<63 - 1)

// checkResult is the verdict on one history.
type checkResult struct {
	result porcupine.CheckResult
	// vizPath is where the visualization was written, for an Illegal
	// history.
	vizPath string
	took    time.Duration
}

// checkLinearizable checks ops against the model within timeout. For an
// illegal history it writes porcupine's visualization to vizPath (creating
// its directory).
func checkLinearizable(m *wsModel, ops []porcupine.Operation, timeout time.Duration, vizPath string) (checkResult, error) {
	start := time.Now()
	model := m.porcupine()
	res := porcupine.CheckOperationsTimeout(model, ops, timeout)
	out := checkResult{result: res, took: time.Since(start)}
	if res != porcupine.Illegal {
		return out, nil
	}
	// Check again, verbosely, to draw the partial linearizations.
	_, info := porcupine.CheckOperationsVerbose(model, ops, timeout)
	if err := os.MkdirAll(filepath.Dir(vizPath), 0o755); err != nil {
		return out, err
	}
	if err := porcupine.VisualizePath(model, info, vizPath); err != nil {
		return out, err
	}
	out.vizPath = vizPath
	out.took = time.Since(start)
	return out, nil
}

// vizPathFor is the visualization file of a test's history.
func vizPathFor(testName, suffix string) string {
	name := strings.NewReplacer("/", "_", " ", "_").Replace(testName)
	if suffix != "" {
		name += "-" + suffix
	}
	p, err := filepath.Abs(filepath.Join("testdata", "porcupine-"+name+".html"))
	if err != nil {
		return filepath.Join("testdata", "porcupine-"+name+".html")
	}
	return p
}

// sortOps orders operations by call time, for stable output.
func sortOps(ops []porcupine.Operation) {
	sort.SliceStable(ops, func(i, j int) bool { return ops[i].Call < ops[j].Call })
}
