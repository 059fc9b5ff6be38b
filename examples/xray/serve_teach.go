package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/xrayllm/xray/gradcam"
	"github.com/xrayllm/xray/internal/teachimg"
	"github.com/xrayllm/xray/preprocess"
	"github.com/xrayllm/xray/prompt"
)

// The teaching view's limits.
const (
	// defaultTeachTop is how many channels a layer view shows by default;
	// maxTeachTop the most it shows.
	defaultTeachTop = 16
	maxTeachTop     = 64
	// stepChannels is how many channels the steps show of A and dScore/dA;
	// alphaBarCount how many weights of each sign the α chart shows.
	stepChannels  = 8
	alphaBarCount = 8
)

// teachRequest is a parsed request of the teaching view: the upload's
// options (analyzeRequest) and the view's own fields.
type teachRequest struct {
	*analyzeRequest
	// layer is the one layer looked at; method the CAM method (the steps);
	// target the class to explain, "" for the predicted one.
	layer  string
	method gradcam.Method
	target string
	// top and rank choose the channels of a layer view.
	top  int
	rank teachimg.Rank
	// scoreCAM says whether the comparison computes ScoreCAM's map:
	// scoreCAMWith, scoreCAMWithout or scoreCAMOnly.
	scoreCAM string
}

// lang is the request's language.
func (tr *teachRequest) lang() prompt.Lang { return tr.req.Lang }

// newTeachRequest reads the teaching view's fields of an upload, naming
// the valid choices when one is wrong. The view looks at one layer at a
// time, layer4 unless told otherwise.
func newTeachRequest(ar *analyzeRequest) (*teachRequest, error) {
	cam := ar.req.CAM
	tr := &teachRequest{analyzeRequest: ar, layer: gradcam.DefaultLayer, method: cam.Method, target: cam.Target, rank: teachimg.RankMean, top: defaultTeachTop, scoreCAM: scoreCAMWith}
	if ar.fields["layer"] != "" {
		if len(cam.Layers) > 0 {
			return nil, fmt.Errorf("the teaching view looks at one layer at a time, not %q", ar.fields["layer"])
		}
		tr.layer = cam.Layer
	}
	if v := ar.fields["top"]; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxTeachTop {
			return nil, fmt.Errorf("field \"top\": %q is not a whole number from 1 to %d", v, maxTeachTop)
		}
		tr.top = n
	}
	if v := ar.fields["rank"]; v != "" {
		r, err := teachimg.ParseRank(strings.ToLower(v))
		if err != nil {
			return nil, fmt.Errorf("field \"rank\": %w", err)
		}
		tr.rank = r
	}
	switch v := strings.ToLower(ar.fields["scorecam"]); v {
	case "":
	case scoreCAMWith, scoreCAMWithout, scoreCAMOnly:
		tr.scoreCAM = v
	default:
		return nil, fmt.Errorf("field \"scorecam\": %q is not %s, %s or %s", ar.fields["scorecam"], scoreCAMWith, scoreCAMWithout, scoreCAMOnly)
	}
	return tr, nil
}

// teachCompute computes one answer of the teaching view from the
// preprocessed upload.
type teachCompute func(ctx context.Context, tr *teachRequest, in *preprocess.Input) (any, error)

// teachRoutes adds the teaching view's endpoints to mux. Each takes the
// upload as /api/analyze does, through the same admission (size limit,
// analysis slots, queue wait), keeps nothing, and answers JSON.
func (s *server) teachRoutes(mux *http.ServeMux) {
	for path, compute := range map[string]teachCompute{
		"/api/teach/network": s.teachNetwork,
		"/api/teach/layer":   s.teachLayer,
		"/api/teach/steps":   s.teachSteps,
		"/api/teach/compare": s.teachCompare,
	} {
		mux.HandleFunc(path, allow(http.MethodPost, s.teachHandler(compute)))
	}
}

// teachHandler admits an upload, preprocesses it as Analyze does and
// answers what compute makes of it.
func (s *server) teachHandler(compute teachCompute) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var tr *teachRequest
		parse := func(ar *analyzeRequest) (err error) {
			tr, err = newTeachRequest(ar)
			return err
		}
		ar, release, ok := s.admit(w, r, parse)
		if !ok {
			return
		}
		defer release()
		in, err := s.a.Preprocess(ar.image)
		if err != nil {
			writeError(w, analyzeStatus(r.Context(), err), err)
			return
		}
		out, err := compute(r.Context(), tr, in)
		if err != nil {
			writeError(w, analyzeStatus(r.Context(), err), err)
			return
		}
		writeJSON(w, http.StatusOK, out)
	}
}

// explain runs one CAM with its intermediate steps.
func (s *server) explain(ctx context.Context, in *preprocess.Input, m gradcam.Method, layer, target string) (*gradcam.Result, error) {
	res, err := s.a.Explainer().Explain(ctx, in.Tensor, &gradcam.Options{Method: m, Layer: layer, Target: target, Steps: true})
	if err != nil {
		return nil, fmt.Errorf("serve: %s at %s: %w", m.Name(), layer, err)
	}
	if res.Steps == nil {
		return nil, errors.New("serve: the explainer returned no steps")
	}
	return res, nil
}

// layerCaption says what layers at the depth of layer tend to respond to.
func layerCaption(p prompt.Teach, layer string) string {
	switch {
	case strings.HasPrefix(layer, "layer4"):
		return p.LayerLate
	case strings.HasPrefix(layer, "layer2"), strings.HasPrefix(layer, "layer3"):
		return p.LayerMiddle
	}
	return p.LayerEarly
}
