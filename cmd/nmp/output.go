package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/wsd-dev/wsd/client"
)

// Output formats (-f/--output-format).
var formats = []string{"table", "json", "yaml", "markdown", "csv", "raw"}

// output is how a command prints its result.
type output struct {
	format     string   // one of formats
	columns    []string // -c: the table columns to show, in order; nil for all
	noTruncate bool
}

// tabular is the table form of a result: headers and rows of cells.
type tabular struct {
	headers []string
	rows    [][]string
}

func newTable(headers ...string) *tabular { return &tabular{headers: headers} }

func (t *tabular) add(cells ...string) { t.rows = append(t.rows, cells) }

// noData is what table and markdown print for an empty list.
const noData = "No data to display"

// render writes v in the chosen format: json and yaml show the API object
// as the server sent it, raw the same JSON on one line; table, markdown
// and csv show the table that tab builds (only the -c columns, if given).
func render(w io.Writer, o output, v any, tab func() *tabular) error {
	switch o.format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(v)
	case "raw":
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		return enc.Encode(v)
	case "yaml":
		return writeYAML(w, v)
	}
	t, err := selectColumns(tab(), o.columns)
	if err != nil {
		return err
	}
	switch o.format {
	case "csv":
		cw := csv.NewWriter(w)
		_ = cw.Write(t.headers)
		_ = cw.WriteAll(t.rows)
		return cw.Error()
	case "markdown":
		if len(t.rows) == 0 {
			_, err := fmt.Fprintln(w, noData)
			return err
		}
		mdRow(w, t.headers)
		sep := make([]string, len(t.headers))
		for i := range sep {
			sep[i] = "---"
		}
		mdRow(w, sep)
		for _, r := range t.rows {
			cells := make([]string, len(r))
			for i, c := range r {
				cells[i] = strings.ReplaceAll(cell(c, o.noTruncate), "|", `\|`)
			}
			mdRow(w, cells)
		}
		return nil
	}
	if len(t.rows) == 0 {
		_, err := fmt.Fprintln(w, noData)
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	row(tw, t.headers...)
	for _, r := range t.rows {
		cells := make([]string, len(r))
		for i, c := range r {
			cells[i] = cell(c, o.noTruncate)
		}
		row(tw, cells...)
	}
	return tw.Flush()
}

func mdRow(w io.Writer, cells []string) {
	fmt.Fprintln(w, "| "+strings.Join(cells, " | ")+" |")
}

// selectColumns keeps the named columns of t, in the order named. A name
// matches a header ignoring case, with "-" for "_".
func selectColumns(t *tabular, names []string) (*tabular, error) {
	if len(names) == 0 {
		return t, nil
	}
	var idx []int
	for _, n := range names {
		key := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(n), "-", "_"))
		i := slices.Index(t.headers, key)
		if i < 0 {
			return nil, usagef("unknown column %q for -c/--output-columns: want some of %s", n, strings.ToLower(strings.Join(t.headers, ",")))
		}
		idx = append(idx, i)
	}
	out := &tabular{}
	for _, i := range idx {
		out.headers = append(out.headers, t.headers[i])
	}
	for _, r := range t.rows {
		var cells []string
		for _, i := range idx {
			cells = append(cells, r[i])
		}
		out.rows = append(out.rows, cells)
	}
	return out, nil
}

// writeYAML writes v as YAML with the fields in the order and under the
// names of its JSON form.
func writeYAML(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	node, err := yamlNode(dec)
	if err != nil {
		return err
	}
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(node); err != nil {
		return err
	}
	return enc.Close()
}

// yamlNode converts the next JSON value of dec into a YAML node, keeping
// the key order.
func yamlNode(dec *json.Decoder) (*yaml.Node, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch v := tok.(type) {
	case json.Delim:
		n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		if v == '{' {
			n = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		}
		for dec.More() {
			if n.Kind == yaml.MappingNode {
				k, err := dec.Token()
				if err != nil {
					return nil, err
				}
				n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: fmt.Sprint(k)})
			}
			child, err := yamlNode(dec)
			if err != nil {
				return nil, err
			}
			n.Content = append(n.Content, child)
		}
		if _, err := dec.Token(); err != nil { // closing delimiter
			return nil, err
		}
		if len(n.Content) == 0 {
			n.Style = yaml.FlowStyle
		}
		return n, nil
	case string:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v}, nil
	case json.Number:
		tag := "!!int"
		if strings.ContainsAny(v.String(), ".eE") {
			tag = "!!float"
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: v.String()}, nil
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: fmt.Sprint(v)}, nil
	case nil:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}, nil
	}
	return nil, fmt.Errorf("unexpected JSON token %v", tok)
}

// Table cells.

// maxCell is the longest value table and markdown show; longer ones are
// cut to it, ending in "...", unless --no-truncate.
const maxCell = 50

func cellTime(t client.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// cell is a value as a table shows it: on one line, cut at maxCell
// characters unless noTruncate.
func cell(s string, noTruncate bool) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); !noTruncate && len(r) > maxCell {
		return string(r[:maxCell-3]) + "..."
	}
	return s
}

func cellDesc(d *string) string {
	if d == nil {
		return ""
	}
	return *d
}

func row(w io.Writer, cells ...string) {
	fmt.Fprintln(w, strings.Join(cells, "\t"))
}
