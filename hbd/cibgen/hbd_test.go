package cibgen

import (
	"fmt"

	"github.com/hbd-project/hbd/hbd/cib"
	"github.com/hbd-project/hbd/hbd/crmoracle"
	"github.com/hbd-project/hbd/hbd/scheduler"
)

// hbdSimulate runs hbd's scheduler on a CIB and returns its output parsed
// exactly like crm_simulate's, so both sides go through the same parser and
// the same placement normalisation. It is the one place that knows the
// scheduler's API.
var hbdSimulate = func(cibXML []byte) (*crmoracle.Summary, error) {
	c, err := cib.Parse(cibXML)
	if err != nil {
		return nil, fmt.Errorf("hbd cib: %w", err)
	}
	tr, err := scheduler.Schedule(c)
	if err != nil {
		return nil, fmt.Errorf("hbd scheduler: %w", err)
	}
	s, err := crmoracle.ParseSummary(tr.Render())
	if err != nil {
		return nil, fmt.Errorf("hbd output: %w", err)
	}
	return s, nil
}

// hbdSchedule is the part of hbdSimulate the benchmark measures: parse the
// CIB and compute the transition, as crm_simulate -G does.
func hbdSchedule(cibXML []byte) error {
	c, err := cib.Parse(cibXML)
	if err != nil {
		return err
	}
	_, err = scheduler.Schedule(c)
	return err
}
