package main

import (
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/xrayllm/xray"
	"github.com/xrayllm/xray/gradcam"
	"github.com/xrayllm/xray/prompt"
)

// maxFieldBytes bounds each non-file form field.
const maxFieldBytes = 1 << 10

// analyzeRequest is a parsed POST /api/analyze.
type analyzeRequest struct {
	image    []byte
	req      xray.Request
	colormap gradcam.Table
	// fields are the form's text fields, for the endpoints that take
	// more than /api/analyze does (the teaching view's).
	fields map[string]string
}

// parseUpload reads the multipart form into memory, never to disk, and
// resolves the options. It returns the status to answer with on error.
func (s *server) parseUpload(w http.ResponseWriter, r *http.Request) (*analyzeRequest, int, error) {
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxUpload)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, http.StatusBadRequest, fmt.Errorf("want a multipart/form-data upload with the X-ray in the field \"image\": %w", err)
	}
	img, fields, err := readParts(mr)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, http.StatusRequestEntityTooLarge, fmt.Errorf("upload is larger than the limit of %d bytes", s.cfg.MaxUpload)
		}
		return nil, http.StatusBadRequest, fmt.Errorf("reading the upload: %w", err)
	}
	if img == nil {
		return nil, http.StatusBadRequest, errors.New("no file in the form field \"image\"")
	}
	ar, err := s.options(fields)
	if err != nil {
		return nil, http.StatusBadRequest, err
	}
	ar.image, ar.fields = img, fields
	return ar, 0, nil
}

// readParts reads the "image" file and the small text fields of a form.
// Other files are skipped.
func readParts(mr *multipart.Reader) (img []byte, fields map[string]string, err error) {
	fields = map[string]string{}
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return img, fields, nil
		}
		if err != nil {
			return nil, nil, err
		}
		name := p.FormName()
		switch {
		case name == "image":
			if img, err = io.ReadAll(p); err != nil {
				return nil, nil, err
			}
			if img == nil {
				img = []byte{}
			}
		case p.FileName() == "" && name != "":
			v, err := io.ReadAll(io.LimitReader(p, maxFieldBytes+1))
			if err != nil {
				return nil, nil, err
			}
			if len(v) > maxFieldBytes {
				return nil, nil, fmt.Errorf("form field %q is longer than %d bytes", name, maxFieldBytes)
			}
			fields[name] = strings.TrimSpace(string(v))
		default:
			if _, err := io.Copy(io.Discard, p); err != nil {
				return nil, nil, err
			}
		}
	}
}

// options resolves the form fields against the defaults, naming the valid
// choices when a field is wrong.
func (s *server) options(fields map[string]string) (*analyzeRequest, error) {
	cam := s.cfg.CAM
	if v := fields["method"]; v != "" {
		m, err := gradcam.MethodByName(v)
		if err != nil {
			return nil, err
		}
		cam.Method = m
	}
	if v := fields["layer"]; v != "" {
		layers := splitLayers(v, "+")
		if len(layers) == 0 {
			return nil, fmt.Errorf("unknown CAM layer %q", v)
		}
		for _, l := range layers {
			if !slices.Contains(s.camLayers(), l) {
				return nil, fmt.Errorf("unknown CAM layer %q (valid: layer1, layer2, layer3, layer4 or a block or conv inside them, several joined by +; GET /api/info lists all %d)", l, len(s.camLayers()))
			}
		}
		cam.Layer, cam.Layers = layers[0], nil
		if len(layers) > 1 {
			cam.Layer, cam.Layers = "", layers
		}
	}
	if v, ok := fields["target"]; ok {
		if v != "" && !slices.Contains(s.a.Model().Classes(), v) {
			return nil, fmt.Errorf("unknown target class %q (valid: %s, or empty for the predicted class)", v, strings.Join(s.a.Model().Classes(), ", "))
		}
		cam.Target = v
	}
	var err error
	for _, f := range []struct {
		name string
		dst  *bool
	}{{"faithfulness", &cam.Faithfulness}, {"aug_smooth", &cam.AugSmooth}, {"eigen_smooth", &cam.EigenSmooth}, {"occlusion", &cam.Occlusion}} {
		if *f.dst, err = boolField(fields, f.name, *f.dst); err != nil {
			return nil, err
		}
	}
	withTTA, err := boolField(fields, "tta", s.cfg.TTA)
	if err != nil {
		return nil, err
	}
	report, err := boolField(fields, "report", true)
	if err != nil {
		return nil, err
	}
	lang, err := langField(fields, s.cfg.Lang)
	if err != nil {
		return nil, err
	}
	cmName := s.cfg.Colormap
	if v := fields["colormap"]; v != "" {
		cmName = v
	}
	cmap, err := gradcam.ColormapByName(cmName)
	if err != nil {
		return nil, err
	}
	cal, err := s.calibrationField(fields)
	if err != nil {
		return nil, err
	}
	return &analyzeRequest{req: xray.Request{CAM: &cam, Report: report, Lang: lang, TTA: withTTA, Calibration: cal}, colormap: cmap}, nil
}

// boolField parses an optional true/false field.
func boolField(fields map[string]string, name string, def bool) (bool, error) {
	v, ok := fields[name]
	if !ok || v == "" {
		return def, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("field %q: %q is not true or false", name, v)
	}
	return b, nil
}

// langField parses the optional lang field.
func langField(fields map[string]string, def prompt.Lang) (prompt.Lang, error) {
	v := fields["lang"]
	if v == "" {
		return def, nil
	}
	return prompt.ParseLang(v)
}
