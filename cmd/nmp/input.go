package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"
)

// input is --input-file and --input-data: the request body of a create or
// update as a JSON (or YAML) object, for scripts. Flags given on the
// command line win over the input's fields; fields the command does not
// use (id, created_at, ... as "get -f json" prints them) are ignored.
type input struct {
	file, data *string
}

func inputFlags(f *cmdFlags) input {
	return input{
		file: f.String("input-file", "", "read the request body from this JSON or YAML file (- for stdin)"),
		data: f.String("input-data", "", "the request body as JSON (or YAML), e.g. '{\"description\":\"ML\"}'"),
	}
}

// body is a decoded input object.
type body map[string]any

// read decodes the input; nil when neither flag is given.
func (in input) read(c *cli) (body, error) {
	var raw []byte
	switch {
	case *in.file != "" && *in.data != "":
		return nil, usagef("--input-file and --input-data exclude each other")
	case *in.file == "-":
		b, err := io.ReadAll(io.LimitReader(c.stdin, 1<<20))
		if err != nil {
			return nil, usagef("--input-file -: %v", err)
		}
		raw = b
	case *in.file != "":
		b, err := os.ReadFile(*in.file)
		if err != nil {
			return nil, usagef("--input-file: %v", err)
		}
		raw = b
	case *in.data != "":
		raw = []byte(*in.data)
	default:
		return nil, nil
	}
	var b body
	if err := yaml.Unmarshal(raw, &b); err != nil {
		return nil, usagef("the input is not a JSON or YAML object: %v", err)
	}
	if b == nil {
		return nil, usagef("the input is empty: want a JSON or YAML object")
	}
	return b, nil
}

// str is the string field key ("" when absent or null).
func (b body) str(key string) (string, error) {
	p, err := b.strPtr(key)
	if p == nil || err != nil {
		return "", err
	}
	return *p, nil
}

// strPtr is the string field key; nil when absent or null.
func (b body) strPtr(key string) (*string, error) {
	switch v := b[key].(type) {
	case nil:
		return nil, nil
	case string:
		return &v, nil
	default:
		return nil, usagef("input field %q: want a string, got %v", key, v)
	}
}

// strList is the list-of-strings field key, and whether it is present.
func (b body) strList(key string) ([]string, bool, error) {
	v, ok := b[key]
	if !ok || v == nil {
		return nil, ok, nil
	}
	list, isList := v.([]any)
	if !isList {
		return nil, true, usagef("input field %q: want a list of strings, got %v", key, v)
	}
	out := []string{}
	for _, e := range list {
		s, ok := e.(string)
		if !ok {
			return nil, true, usagef("input field %q: want a list of strings, got %v", key, fmt.Sprint(e))
		}
		out = append(out, strings.TrimSpace(s))
	}
	return out, true, nil
}
