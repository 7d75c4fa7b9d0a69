package api

import (
	"encoding/json"
	"slices"

	"github.com/dongnai-gis/gisd/store"
)

// releasesPersonal reports whether a response carrying props (nil: every visible attribute) of
// layer l contains personal attributes — such a response must be audited before it is sent.
func releasesPersonal(visible []store.Attribute, props []string) bool {
	for _, a := range visible {
		if a.Visibility == store.VisibilityPersonal && (props == nil || slices.Contains(props, a.Name)) {
			return true
		}
	}
	return false
}

// featureIDs reads the ids of GeoJSON features produced by the store.
func featureIDs(features []json.RawMessage) []int64 {
	ids := make([]int64, 0, len(features))
	for _, f := range features {
		var v struct {
			ID int64 `json:"id"`
		}
		if json.Unmarshal(f, &v) == nil {
			ids = append(ids, v.ID)
		}
	}
	return ids
}
