package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/store"
)

// ReportInput is a new problem as it arrives.
type ReportInput struct {
	Description   string     `json:"description"`
	Lat           *float64   `json:"lat"`
	Lng           *float64   `json:"lng"`
	CategoryCode  string     `json:"category_code,omitempty"`
	Address       string     `json:"address,omitempty"`
	Channel       gl.Channel `json:"channel,omitempty"`
	ReporterName  string     `json:"reporter_name,omitempty"`
	ReporterPhone string     `json:"reporter_phone,omitempty"`
	Photos        []string   `json:"photos,omitempty"`
}

// ReportResult is what the reporter gets back: the case and the secret tracking token,
// shown once.
type ReportResult struct {
	Case          *gl.Case `json:"case"`
	TrackingToken string   `json:"tracking_token"`
}

var phonePattern = regexp.MustCompile(`^\+?[0-9][0-9 -]{5,19}$`)

// Validate checks and tidies in, as Report does first: a form may check a report
// before it offers anything on it. Every message names the field.
func (in *ReportInput) Validate() error {
	in.Description = strings.TrimSpace(in.Description)
	in.Address = strings.TrimSpace(in.Address)
	in.ReporterName = strings.TrimSpace(in.ReporterName)
	in.ReporterPhone = strings.TrimSpace(in.ReporterPhone)
	switch {
	case in.Description == "":
		return gl.FieldError("description", "请描述问题")
	case utf8.RuneCountInString(in.Description) > 4000:
		return gl.FieldError("description", "问题描述不能超过 4000 字")
	case in.Lat == nil || in.Lng == nil:
		return gl.FieldError("lat", "请提供问题位置（lat 纬度、lng 经度）")
	case *in.Lat < -90 || *in.Lat > 90 || *in.Lat != *in.Lat:
		return gl.FieldError("lat", "纬度须在 -90 到 90 之间")
	case *in.Lng < -180 || *in.Lng > 180 || *in.Lng != *in.Lng:
		return gl.FieldError("lng", "经度须在 -180 到 180 之间")
	case utf8.RuneCountInString(in.Address) > 200:
		return gl.FieldError("address", "地址不能超过 200 字")
	case utf8.RuneCountInString(in.ReporterName) > 50:
		return gl.FieldError("reporter_name", "姓名不能超过 50 字")
	case in.ReporterPhone != "" && !phonePattern.MatchString(in.ReporterPhone):
		return gl.FieldError("reporter_phone", "电话号码格式不正确")
	case in.Channel != "" && !in.Channel.Valid():
		return gl.FieldError("channel", "未知的来源渠道「%s」", in.Channel)
	case len(in.Photos) > 9:
		return gl.FieldError("photos", "照片不能超过 9 张")
	}
	return nil
}

// Report takes in a new problem and opens a case for it. With an idempotency key, a
// retry returns the first result instead of a second case. It returns once the case is
// committed: concurrent reports share one transaction and one commit (intake.go).
func (s *Service) Report(ctx context.Context, p *Principal, in ReportInput, idemKey string) (*ReportResult, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	if in.Channel == "" {
		in.Channel = gl.ChannelAPI
	}
	if in.Channel == gl.ChannelPatrol && (p.User == nil || !p.User.HasRole(gl.RoleGridMember)) {
		return nil, gl.FieldError("channel", "只有网格员可以以巡查方式上报")
	}
	scope := reportScope(p)
	now := s.now()
	token, hash := newTrackingToken()
	c := &gl.Case{
		Status: gl.StatusReported, Version: 1, Channel: in.Channel, CategoryCode: in.CategoryCode,
		Description: in.Description, Address: in.Address, Lat: *in.Lat, Lng: *in.Lng,
		ReporterName: in.ReporterName, ReporterPhone: in.ReporterPhone,
		TrackingHash: hash, Photos: in.Photos, CreatedAt: now, UpdatedAt: now,
	}
	if err := s.place(c); err != nil {
		return nil, err
	}
	switch in.Channel {
	case gl.ChannelPatrol: // a grid worker's own finding needs no verification
		c.Verified = true
	case gl.ChannelCamera: // machine findings are always checked by a person first
		c.Status = gl.StatusVerifying
	}
	if p.User != nil {
		c.ReporterID = p.User.ID
	}
	if d, ok := s.Policy.StageLimits[c.Status]; ok {
		due := now.Add(d)
		c.StageDue = &due
	}
	role := gl.RoleCitizen
	if p.User != nil && len(p.User.Roles) > 0 {
		role = p.User.Roles[0]
	}
	ev := gl.Event{Action: gl.ActionReport, ActorID: c.ReporterID, Actor: p.Name(),
		Role: role, To: c.Status, Public: true, At: now}
	ev.Data, _ = json.Marshal(map[string]any{"channel": c.Channel, "area_code": c.AreaCode, "grid_code": c.GridCode, "resp_grid_code": c.RespGridCode})
	// The code (day + the day's sequence number), the case, its event, the hooks and the
	// saved answer are written by the committer, with the reports that arrive together,
	// in one transaction (intake.go); the answer comes after its COMMIT.
	return s.submit(ctx, &intakeReq{
		c: c, ev: ev, token: token, scope: scope, key: idemKey,
		day: now.In(s.Calendar().Location()).Format("20060102"),
	})
}

// reportScope is the scope of the Idempotency-Keys of p's reports.
func reportScope(p *Principal) string {
	if p.User != nil {
		return fmt.Sprintf("report:%d", p.User.ID)
	}
	return "report"
}

// ReportFiled reports whether p has filed a report with idemKey already: a form sent
// again, which Report answers with the first case.
func (s *Service) ReportFiled(ctx context.Context, p *Principal, idemKey string) (bool, error) {
	if idemKey == "" {
		return false, nil
	}
	var found bool
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		_, _, found, err = tx.Idempotent(ctx, reportScope(p), idemKey)
		return err
	})
	return found, err
}

// HashSecret is the stored form of a tracking token or API token.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}
