package client_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wsd-dev/wsd/client"
)

func TestFilter_render(t *testing.T) {
	since := time.Date(2026, 1, 2, 3, 4, 5, 600_000_000, time.FixedZone("", 2*3600))
	f := client.Field
	tests := []struct {
		name string
		e    client.Expr
		want string
	}{
		{"zero", client.Expr{}, ""},
		{"eq", f("name").Eq("ml-team"), `name:"ml-team"`},
		{"contains", f("name").Contains("team"), `name~"team"`},
		{"wildcards pass through", f("name").Contains("ml-%_x"), `name~"ml-%_x"`},
		{"quote escaped", f("description").Eq(`say "hi"`), `description:"say \"hi\""`},
		{"backslash escaped", f("description").Eq(`a\b\`), `description:"a\\b\\"`},
		{"escaped quote at end", f("description").Eq(`x\"`), `description:"x\\\""`},
		{"keywords inside quotes", f("name").Eq(`a" OR name:"b`), `name:"a\" OR name:\"b"`},
		{"newline kept", f("description").Eq("a\nb"), "description:\"a\nb\""},
		{"null", f("description").Eq(nil), `description:null`},
		{"is null", f("description").IsNull(), `description:null`},
		{"int", f("name").Gt(42), `name>42`},
		{"float", f("name").Lte(1.5), `name<=1.5`},
		{"time keeps offset", f("created_at").Gte(since), `created_at>="2026-01-02T03:04:05.6+02:00"`},
		{"client time", f("updated_at").Lt(client.Time{Time: since.UTC()}), `updated_at<"2026-01-02T01:04:05.6Z"`},
		{"in", f("name").In("a", "b\"c"), `name IN ["a","b\"c"]`},
		{"not in", f("created_by").NotIn("alice@example.com"), `created_by NOT IN ["alice@example.com"]`},
		{"and", f("name").Eq("a").And(f("created_by").Eq("b")), `(name:"a" AND created_by:"b")`},
		{"or", client.Or(f("name").Eq("a"), f("name").Eq("b")), `(name:"a" OR name:"b")`},
		{"precedence kept by parentheses", client.Or(f("name").Eq("a"), f("name").Eq("b")).And(f("created_by").Eq("c")),
			`((name:"a" OR name:"b") AND created_by:"c")`},
		{"not", client.Not(f("name").Contains("tmp")), `-(name~"tmp")`},
		{"not of group", client.Not(f("name").Eq("a").Or(f("name").Eq("b"))), `-((name:"a" OR name:"b"))`},
		{"zero operands skipped", client.And(client.Expr{}, f("name").Eq("a"), client.Expr{}), `name:"a"`},
		{"empty and", client.And(), ""},
		{"not of zero", client.Not(client.Expr{}), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.e.Err(); err != nil {
				t.Fatalf("Err() = %v", err)
			}
			if got := tt.e.String(); got != tt.want {
				t.Errorf("String() = %s\nwant       %s", got, tt.want)
			}
			if tt.want != "" {
				checkWellFormed(t, tt.want)
			}
		})
	}
}

func TestFilter_errors(t *testing.T) {
	f := client.Field
	tests := []struct {
		name string
		e    client.Expr
		want string
	}{
		{"empty field", f("").Eq("a"), "empty field name"},
		{"field with space", f("name OR id").Eq("a"), "not an identifier"},
		{"field with quote", f(`na"me`).Eq("a"), "not an identifier"},
		{"uppercase field", f("Name").Eq("a"), "not an identifier"},
		{"bool value", f("name").Eq(true), "unsupported filter value of type bool"},
		{"NaN", f("name").Gt(nanValue()), "not a finite number"},
		{"empty in", f("name").In(), "needs at least one value"},
		{"error survives and", f("name").Eq("a").And(f("").Eq("b")), "empty field name"},
		{"error survives not", client.Not(f("x y").Eq("b")), "not an identifier"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.e.Err()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Err() = %v, want it to contain %q", err, tt.want)
			}
			if tt.e.String() != "" || tt.e.IsZero() {
				t.Errorf("String() = %q, IsZero = %v; want \"\" and false for an invalid expression", tt.e.String(), tt.e.IsZero())
			}
		})
	}
}

func nanValue() float64 { z := 0.0; return z / z }

// TestFilter_listQuery: Where travels as ?filter= in the text syntax,
// FilterText unchanged; setting two filters, or an invalid Where, fails
// before anything is sent.
func TestFilter_listQuery(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, client.WorkspacePage{Data: []client.Workspace{}})
	})
	c := newClient(t, f.URL)
	ctx := ctxT(t)
	where := client.Field("name").Contains("ml").And(client.Field("description").Eq(nil))
	if _, err := c.ListWorkspaces(ctx, client.ListOptions{Where: where}); err != nil {
		t.Fatal(err)
	}
	text := `{"name":{"$in":["a","b"]}}`
	if _, err := c.ListProjects(ctx, "ws", client.ListOptions{FilterText: text, Sort: "name"}); err != nil {
		t.Fatal(err)
	}
	reqs := f.requests()
	if got := reqs[0].URL.Query()["filter"]; len(got) != 1 || got[0] != `(name~"ml" AND description:null)` {
		t.Errorf("filter sent = %q, want the rendered text", got)
	}
	if got := reqs[1].URL.Query()["filter"]; len(got) != 1 || got[0] != text {
		t.Errorf("filter sent = %q, want %q unchanged", got, text)
	}
	for _, lo := range []client.ListOptions{
		{Where: where, FilterText: "name:\"a\""},
		{FilterText: "x", Filter: map[string]string{"name": "a"}},
		{Where: client.Field("bad field").Eq("a")},
	} {
		if _, err := c.ListWorkspaces(ctx, lo); !errors.Is(err, client.ErrInvalid) {
			t.Errorf("list %+v: err = %v, want ErrInvalid", lo, err)
		}
	}
	if n := len(f.requests()); n != 2 {
		t.Errorf("%d requests sent, want 2 (invalid options send nothing)", n)
	}
}

// checkWellFormed checks s against the lexical rules of the text filter
// syntax (API.md): outside string literals only identifiers, operators,
// numbers, null, brackets, commas, parentheses and the AND/OR/IN/NOT
// keywords appear; string literals close; parentheses and brackets
// balance. It returns the decoded string literals in order.
func checkWellFormed(t testing.TB, s string) []string {
	t.Helper()
	var lits []string
	depth, brackets := 0, 0
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"':
			var b strings.Builder
			j := i + 1
			for ; j < len(s) && s[j] != '"'; j++ {
				if s[j] == '\\' {
					j++
					if j == len(s) || (s[j] != '"' && s[j] != '\\') {
						t.Fatalf("%q: bad escape at %d", s, j)
					}
				}
				b.WriteByte(s[j])
			}
			if j == len(s) {
				t.Fatalf("%q: unterminated string at %d", s, i)
			}
			lits = append(lits, b.String())
			i = j + 1
		case c == '(':
			depth++
			i++
		case c == ')':
			if depth--; depth < 0 {
				t.Fatalf("%q: unbalanced ) at %d", s, i)
			}
			i++
		case c == '[':
			brackets++
			i++
		case c == ']':
			if brackets--; brackets < 0 {
				t.Fatalf("%q: unbalanced ] at %d", s, i)
			}
			i++
		case strings.IndexByte(":~<>=,- ", c) >= 0:
			i++
		case c == '.' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_':
			j := i
			for j < len(s) && (s[j] == '.' || s[j] == '_' || (s[j] >= '0' && s[j] <= '9') || (s[j] >= 'a' && s[j] <= 'z') || (s[j] >= 'A' && s[j] <= 'Z')) {
				j++
			}
			i = j
		default:
			t.Fatalf("%q: unexpected %q outside a string at %d", s, c, i)
		}
	}
	if depth != 0 || brackets != 0 {
		t.Fatalf("%q: unbalanced parentheses or brackets", s)
	}
	return lits
}

// FuzzFilterRender: whatever the values, the rendered filter is one
// well-formed expression whose string literals decode back to exactly the
// values given, in order.
func FuzzFilterRender(f *testing.F) {
	f.Add("ml-team", `a"b`, uint8(0))
	f.Add(`\`, `\"`, uint8(3))
	f.Add(`" OR name:"x`, ")(-", uint8(5))
	f.Add("\x00\n\t", "[]", uint8(7))
	f.Fuzz(func(t *testing.T, a, b string, shape uint8) {
		fa, fb := client.Field("name"), client.Field("description")
		var e client.Expr
		want := []string{a, b}
		switch shape % 8 {
		case 0:
			e = fa.Eq(a).And(fb.Eq(b))
		case 1:
			e = fa.Contains(a).Or(fb.Contains(b))
		case 2:
			e = client.Not(fa.In(a, b))
		case 3:
			e = fa.NotIn(a, b).And(fb.IsNull())
		case 4:
			e = client.Or(fa.Gt(a), client.Not(fb.Lte(b)))
		case 5:
			e = client.And(fa.Gte(a), fb.Lt(b), client.Not(client.Or(fa.Eq(a), fb.Eq(b))))
			want = []string{a, b, a, b}
		case 6:
			e = fa.Eq(a).And(client.Field("created_at").Gte(7)).Or(fb.Contains(b))
		case 7:
			e = client.Not(client.Not(fa.Eq(a).And(fb.Eq(b))))
		}
		if err := e.Err(); err != nil {
			t.Fatalf("Err() = %v", err)
		}
		s := e.String()
		got := checkWellFormed(t, s)
		if len(got) != len(want) {
			t.Fatalf("%q: %d string literals, want %d", s, len(got), len(want))
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("%q: literal %d decodes to %q, want %q", s, i, got[i], want[i])
			}
		}
		if q := client.Quote(a); checkWellFormed(t, q)[0] != a {
			t.Fatalf("Quote(%q) = %s does not decode back", a, q)
		}
	})
}
