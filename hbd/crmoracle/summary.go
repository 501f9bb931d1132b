package crmoracle

import (
	"fmt"
	"strings"
	"unicode"
)

// Summary is the parsed text output of `crm_simulate -S` (or -R, which has
// no revised status).
type Summary struct {
	// Current is the "Current cluster status" section.
	Current *Status
	// Transitions holds the Transition Summary lines in output order, with
	// all whitespace removed, e.g. "*Move web(node1->node2)" becomes
	// "*Moveweb(node1->node2)".
	Transitions []string
	// Executed holds the "Executing Cluster Transition" lines, trimmed.
	Executed []string
	// Revised is the "Revised Cluster Status" section, nil when absent.
	Revised *Status
}

// Section headers crm_simulate prints at column 0. Anything else at column 0
// ("Using the original execution date …", "Pretending action …", "N of M
// resource instances DISABLED …") is a note that belongs to no section's
// structure and is skipped, as is indented text before the first header.
const (
	hdrCurrent    = "Current cluster status:"
	hdrMods       = "Performing Requested Modifications:"
	hdrTransition = "Transition Summary:"
	hdrExecuting  = "Executing Cluster Transition:"
	hdrRevised    = "Revised Cluster Status:"
)

// ParseSummary parses crm_simulate's text output. It fails when a section
// it needs is malformed, or when neither a current status nor a Transition
// Summary header is present (the output is not crm_simulate's).
func ParseSummary(text string) (*Summary, error) {
	s := &Summary{}
	var (
		section  string
		sections = map[string][]numbered{}
		seen     = map[string]bool{}
	)
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimRight(line, "\r")
		switch line {
		case hdrCurrent, hdrMods, hdrTransition, hdrExecuting, hdrRevised:
			if seen[line] {
				return nil, fmt.Errorf("line %d: section %q appears twice", i+1, line)
			}
			section, seen[line] = line, true
			continue
		}
		if line == "" || !startsWithSpace(line) {
			continue
		}
		if section == "" {
			// A preamble such as "*** Resource management is DISABLED ***"
			// (maintenance-mode) precedes the first section.
			continue
		}
		sections[section] = append(sections[section], numbered{i + 1, line})
	}
	if !seen[hdrCurrent] && !seen[hdrTransition] {
		return nil, fmt.Errorf("no %q or %q section: not crm_simulate output", hdrCurrent, hdrTransition)
	}
	var err error
	if seen[hdrCurrent] {
		if s.Current, err = parseStatus(sections[hdrCurrent]); err != nil {
			return nil, fmt.Errorf("current cluster status: %w", err)
		}
	}
	for _, l := range sections[hdrTransition] {
		s.Transitions = append(s.Transitions, stripSpace(l.text))
	}
	for _, l := range sections[hdrExecuting] {
		s.Executed = append(s.Executed, strings.TrimSpace(l.text))
	}
	if seen[hdrRevised] {
		if s.Revised, err = parseStatus(sections[hdrRevised]); err != nil {
			return nil, fmt.Errorf("revised cluster status: %w", err)
		}
	}
	return s, nil
}

// numbered is a line of the input with its 1-based line number, for errors.
type numbered struct {
	no   int
	text string
}

func startsWithSpace(s string) bool { return s[0] == ' ' || s[0] == '\t' }

// stripSpace removes every whitespace character: the Transition Summary
// metric (pacemaker-engine.md §3.6 (a)).
func stripSpace(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}
