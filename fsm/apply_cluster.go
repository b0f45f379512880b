package fsm

import "fmt"

// ClusterSettingsType is the command that records the cluster's identity
// and its authentication mode.
const ClusterSettingsType CommandType = 13

// AuthNone is the authentication mode of a cluster that runs without
// authentication: there, and only there, a command with no Caller is
// allowed everything.
const AuthNone = "none"

// ClusterSettings records, once, the cluster's id (a UUID chosen by the
// first leader) and the authentication mode every node must run with. The
// same settings again are a no-op; the id never changes, and the mode only
// ever moves from AuthNone to an authenticated mode (turning
// authentication on); every other change is refused.
type ClusterSettings struct {
	ClusterID string `json:"cluster_id"`
	AuthMode  string `json:"auth_mode"`
}

// Type implements Command.
func (*ClusterSettings) Type() CommandType { return ClusterSettingsType }

// ClusterID is the cluster's id, empty until ClusterSettings is applied.
func (s *State) ClusterID() string { return s.clusterID }

// AuthMode is the cluster-wide authentication mode, empty until
// ClusterSettings is applied.
func (s *State) AuthMode() string { return s.authMode }

// anonymousAllowed reports whether a nil Caller may act: only in a cluster
// that runs without authentication (or has not recorded its mode yet, as
// a cluster written by an older binary).
func (s *State) anonymousAllowed() bool {
	return s.authMode == "" || s.authMode == AuthNone
}

func (s *State) applyClusterSettings(c *ClusterSettings) Result {
	if !ValidClusterID(c.ClusterID) {
		return Result{Err: invalid("cluster_id", "cluster id %q is not a UUID", c.ClusterID)}
	}
	if msg := validAuthMode(c.AuthMode); msg != "" {
		return Result{Err: invalid("auth_mode", "auth mode %q %s", c.AuthMode, msg)}
	}
	if s.clusterID != "" {
		if s.clusterID != c.ClusterID {
			return Result{Err: errorf(CodeConflict, "this cluster's id is %s; refusing to change it to %s", s.clusterID, c.ClusterID)}
		}
		if s.authMode != c.AuthMode && s.authMode != AuthNone {
			return Result{Err: errorf(CodeConflict, "this cluster runs with auth mode %q; refusing to change it to %q", s.authMode, c.AuthMode)}
		}
		s.authMode = c.AuthMode
		return Result{}
	}
	s.clusterID, s.authMode = c.ClusterID, c.AuthMode
	return Result{}
}

// ValidClusterID reports whether id is a UUID in canonical text form
// (8-4-4-4-12 lowercase hex digits).
func ValidClusterID(id string) bool {
	if len(id) != 36 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
				return false
			}
		}
	}
	return true
}

func validAuthMode(m string) string {
	if m == "" || len(m) > 32 {
		return "must be 1 to 32 characters"
	}
	for i := 0; i < len(m); i++ {
		if c := m[i]; c < 'a' || c > 'z' {
			return fmt.Sprintf("has %q; only a-z are allowed", c)
		}
	}
	return ""
}

// WithClusterSettings returns a copy of s that carries the given cluster
// settings instead of its own, for writing as a snapshot. A backup
// restored into a running cluster goes through it, so that the restore
// replaces the data but never the cluster's identity or auth mode (a
// backup of another cluster, or of one without authentication, would
// otherwise bring its own).
func (s *State) WithClusterSettings(clusterID, authMode string) *State {
	c := *s
	c.clusterID, c.authMode = clusterID, authMode
	return &c
}
