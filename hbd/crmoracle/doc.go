// Package crmoracle runs Debian's Pacemaker 2.1.5 crm_simulate and
// crm_verify on CIB files and parses crm_simulate's text output, so that hbd's
// scheduler can be compared against the real thing (pacemaker-engine.md §2).
//
// Two things are extracted from a `crm_simulate -x FILE -S` run (or a corpus
// .summary file, which is exactly that output):
//
//   - the Transition Summary, as lines with all whitespace removed: the
//     metric of the regression corpus (the padding depends on static column
//     widths that only grow within a process, so only whitespace-free lines
//     are comparable);
//   - the final placement: which resources run where, in which role, read
//     from the "Revised Cluster Status" section.
//
// The text output is parsed rather than --output-as=xml because the corpus
// stores text and the Transition Summary metric is defined on text lines.
package crmoracle
