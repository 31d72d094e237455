// helm-render: renders a Helm chart's templates the way `helm template` does for the features this project's chart
// uses, with the engines Helm itself uses (Go's text/template and the sprig functions) plus Helm's own include,
// toYaml and required. No Helm binary installs from the registries these machines reach; this does, from Debian's
// packages (golang-go, golang-github-masterminds-sprig-dev, golang-gopkg-yaml.v3-dev), built offline.
//
//	helm-render <chart folder> <release name> [values file ...]
//
// Values files are merged over the chart's values.yaml in order (maps deeply, anything else replaced). Prints the
// rendered objects as one YAML stream; templates that render to nothing are left out. Not supported (refused if
// used): lookup, tpl, .Capabilities, .Files, subcharts' own templates.
package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig"
	"gopkg.in/yaml.v3"
)

func merge(base, over map[string]interface{}) map[string]interface{} {
	out := map[string]interface{}{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		if b, ok := out[k].(map[string]interface{}); ok {
			if o, ok := v.(map[string]interface{}); ok {
				out[k] = merge(b, o)
				continue
			}
		}
		out[k] = v
	}
	return out
}

func readYAML(path string) map[string]interface{} {
	data, err := os.ReadFile(path)
	if err != nil {
		fail("%v", err)
	}
	out := map[string]interface{}{}
	if err := yaml.Unmarshal(data, &out); err != nil {
		fail("%s: %v", path, err)
	}
	return out
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "helm-render: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	if len(os.Args) < 3 {
		fail("usage: helm-render <chart> <release> [values.yaml ...]")
	}
	chart, release := os.Args[1], os.Args[2]
	meta := readYAML(filepath.Join(chart, "Chart.yaml"))
	values := readYAML(filepath.Join(chart, "values.yaml"))
	for _, f := range os.Args[3:] {
		values = merge(values, readYAML(f))
	}
	root := template.New("chart")
	funcs := sprig.TxtFuncMap()
	funcs["include"] = func(name string, data interface{}) (string, error) {
		var buf bytes.Buffer
		err := root.ExecuteTemplate(&buf, name, data)
		return buf.String(), err
	}
	funcs["toYaml"] = func(v interface{}) string {
		var buf bytes.Buffer
		enc := yaml.NewEncoder(&buf)
		enc.SetIndent(2)
		if err := enc.Encode(v); err != nil {
			fail("toYaml: %v", err)
		}
		return strings.TrimSuffix(buf.String(), "\n")
	}
	funcs["required"] = func(msg string, v interface{}) (interface{}, error) {
		if v == nil || v == "" {
			return nil, fmt.Errorf("%s", msg)
		}
		return v, nil
	}
	for _, unsupported := range []string{"lookup", "tpl"} {
		name := unsupported
		funcs[name] = func(...interface{}) (string, error) { return "", fmt.Errorf("%s is not supported by helm-render", name) }
	}
	root.Funcs(funcs).Option("missingkey=zero")
	files, _ := filepath.Glob(filepath.Join(chart, "templates", "*"))
	sort.Strings(files)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			fail("%v", err)
		}
		if _, err := root.New(filepath.Base(f)).Parse(string(data)); err != nil {
			fail("%s: %v", f, err)
		}
	}
	context := map[string]interface{}{
		"Values":  values,
		"Release": map[string]interface{}{"Name": release, "Namespace": "default", "Service": "Helm"},
		"Chart":   map[string]interface{}{"Name": meta["name"], "Version": meta["version"], "AppVersion": meta["appVersion"]},
	}
	for _, f := range files {
		name := filepath.Base(f)
		if strings.HasPrefix(name, "_") {
			continue
		}
		var buf bytes.Buffer
		if err := root.ExecuteTemplate(&buf, name, context); err != nil {
			fail("%s: %v", name, err)
		}
		if strings.TrimSpace(buf.String()) == "" {
			continue
		}
		fmt.Printf("---\n# Source: %s\n%s\n", name, strings.TrimSpace(buf.String()))
	}
}
