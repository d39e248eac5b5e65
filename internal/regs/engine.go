package regs

import (
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/market"
)

// Errors the Engine returns, wrapped with context. A business rejection is
// not an error: it is a Decision with Rejected set.
var (
	// ErrNotFound is what a Book returns, wrapped or not, for an MPAN it
	// has no registration of.
	ErrNotFound = errors.New("regs: no such registration")
	// ErrUnsupported reports an input the Registration Service does not
	// handle (a message of an interface REGS does not receive).
	ErrUnsupported = errors.New("regs: input not handled by the Registration Service")
	// ErrInvalidInput reports an input that breaks the engine's contract
	// (no transaction id, no time): a fault of the caller, not of the
	// market participant.
	ErrInvalidInput = errors.New("regs: invalid input")
)

// Book is the registrations an input touches. The service implements it
// inside one store transaction: the Engine reads the registrations it
// needs, and Puts each one it changed once it has decided; on a rejection
// it Puts none. A relationship request (IF-019) touches several MPANs.
type Book interface {
	// Registration returns the MPAN's registration, or an error matching
	// ErrNotFound. The Engine may change the value it gets, and Puts it
	// when it keeps the change.
	Registration(mpan market.MPAN) (*Registration, error)
	// Put stores a registration, new or changed.
	Put(r *Registration) error
}

// Directory tells the roles a market participant holds. The Engine checks a
// proposed service provider against it (REG1075–REG1077: not in the
// catalogue of participants) and against the MPAN's market segment
// (REG1031), and reads the segment a change of segment (scenario SEG) moves
// to from the proposed provider's role. The service builds one from
// Industry Standing Data's market participants or the DIP's participant
// list.
type Directory interface {
	// Roles returns the roles the participant holds; none for an unknown
	// DIP id.
	Roles(dipID string) []market.Role
}

// StaticDirectory is a Directory held in a map from DIP id to roles.
type StaticDirectory map[string][]market.Role

// Roles returns the roles of the participant with the DIP id.
func (d StaticDirectory) Roles(dipID string) []market.Role { return d[dipID] }

// LiveDirectory is a Directory that can be replaced while the Engine runs:
// the service sets a new one when standing data or the DIP's registry
// changes (Service.Announced). Safe for concurrent use.
type LiveDirectory struct {
	p atomic.Pointer[StaticDirectory]
}

// NewLiveDirectory returns a LiveDirectory holding d.
func NewLiveDirectory(d StaticDirectory) *LiveDirectory {
	l := &LiveDirectory{}
	l.Set(d)
	return l
}

// Set replaces the directory.
func (l *LiveDirectory) Set(d StaticDirectory) { l.p.Store(&d) }

// Roles returns the roles of the participant with the DIP id in the
// directory set last.
func (l *LiveDirectory) Roles(dipID string) []market.Role {
	if d := l.p.Load(); d != nil {
		return (*d)[dipID]
	}
	return nil
}

// Config is the Registration Service's configuration. The public record
// leaves several timings open (reference mhhs-domain.md §9: the CSS message
// set and timings, the reminder schedule); DefaultConfig documents the
// values mhhs chooses, each an assumption a deployment may correct.
type Config struct {
	DIPID       string                // REGS's own DIP id
	MPID        string                // REGS's market participant id
	Environment catalogue.Environment // S1.environmentTag of what it sends
	Calendar    *market.Calendar      // working days (England and Wales)
	Directory   Directory             // the participants' roles

	// MaxRetrospectiveDays is how far back, in days, an effective date may
	// be (REG1024, reference §8: ≤ 5 days retrospective).
	MaxRetrospectiveDays int
	// MTDWindowWorkingDays is how long, in working days after its
	// appointment ends, a previous metering service may still send meter
	// technical details for its period (REG1003, reference §5b: 10 WD).
	MTDWindowWorkingDays int
	// ProviderResponseWorkingDays is how long a proposed provider has to
	// answer an appointment request (IF-033 → IF-034) before it lapses
	// (IF-035 *Lapsed). Assumption: 5 working days, the time CSS gives a
	// switch to complete.
	ProviderResponseWorkingDays int
	// ObjectionWindowWorkingDays is how long after CSS announces a pending
	// switch the losing supplier may object: an objection after it is
	// refused. Assumption: 1 working day (the pre-CSS electricity
	// objection-resolution window, reference §5c; the CSS window is NOT
	// FOUND).
	ObjectionWindowWorkingDays int
	// ObjectionResolutionWorkingDays is how long an objection may stay
	// unresolved: after it, Tick treats it as upheld and the switch is
	// cancelled. Assumption: 1 working day (as above).
	ObjectionResolutionWorkingDays int
	// SwitchExpiryDays is how many days after its effective date a switch
	// CSS has not made active (secured-active) is dropped by Tick, its
	// appointments lapsing. Assumption: 5 days.
	SwitchExpiryDays int
	// ReminderGraceWorkingDays is how long a registered supplier may have
	// no metering or data service appointed, an invalid segment or an
	// invalid consent granularity before REGS reminds it (IF-045).
	// Assumption: 5 working days, the CSS switching time.
	ReminderGraceWorkingDays int
	// ReminderEveryDays is how often a reminder is repeated while its
	// cause stands. Assumption: 7 days.
	ReminderEveryDays int
}

// DefaultConfig returns the configuration with mhhs's documented defaults
// (docs/registration.md), for the REGS with the given DIP id and MPID.
func DefaultConfig(dipID, mpid string, dir Directory) Config {
	return Config{
		DIPID:                          dipID,
		MPID:                           mpid,
		Environment:                    catalogue.EnvironmentDEV,
		Calendar:                       market.NewCalendar(),
		Directory:                      dir,
		MaxRetrospectiveDays:           5,
		MTDWindowWorkingDays:           10,
		ProviderResponseWorkingDays:    5,
		ObjectionWindowWorkingDays:     1,
		ObjectionResolutionWorkingDays: 1,
		SwitchExpiryDays:               5,
		ReminderGraceWorkingDays:       5,
		ReminderEveryDays:              7,
	}
}

// Validate reports a configuration the Engine cannot run with.
func (c Config) Validate() error {
	var errs []error
	if _, err := market.ParseDIPID(c.DIPID); err != nil {
		errs = append(errs, err)
	}
	if _, err := market.ParseMPID(c.MPID); err != nil {
		errs = append(errs, err)
	}
	if !c.Environment.Valid() {
		errs = append(errs, fmt.Errorf("regs: environment %q", c.Environment))
	}
	if c.Calendar == nil {
		errs = append(errs, errors.New("regs: no calendar"))
	}
	if c.Directory == nil {
		errs = append(errs, errors.New("regs: no directory of participants"))
	}
	for name, v := range map[string]int{
		"MaxRetrospectiveDays": c.MaxRetrospectiveDays, "MTDWindowWorkingDays": c.MTDWindowWorkingDays,
		"ProviderResponseWorkingDays": c.ProviderResponseWorkingDays, "ObjectionWindowWorkingDays": c.ObjectionWindowWorkingDays,
		"ObjectionResolutionWorkingDays": c.ObjectionResolutionWorkingDays, "SwitchExpiryDays": c.SwitchExpiryDays,
		"ReminderGraceWorkingDays": c.ReminderGraceWorkingDays, "ReminderEveryDays": c.ReminderEveryDays,
	} {
		if v < 0 || (v == 0 && name == "ReminderEveryDays") {
			errs = append(errs, fmt.Errorf("regs: %s = %d", name, v))
		}
	}
	return errors.Join(errs...)
}

// Engine is the Registration Service's domain: it decides what an input
// does to the registrations it touches and which DIP messages REGS sends
// because of it. It does no I/O: registrations come and go through a Book,
// time comes with the input. An Engine is immutable and safe for concurrent
// use.
type Engine struct {
	cfg Config
}

// New returns an Engine with the configuration, which must be valid.
func New(cfg Config) (*Engine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("regs: config: %w", err)
	}
	return &Engine{cfg: cfg}, nil
}

// Directory returns the directory of participants' roles the Engine checks
// against.
func (e *Engine) Directory() Directory { return e.cfg.Directory }

// Input is a message the DIP delivered to REGS: its decoded payload, and
// the DIP's transaction id and timestamp (D0). The transaction id keys the
// references of every message REGS sends because of it, and the timestamp
// is the Engine's clock for it: the market's time of the request, so that
// deciding the same delivery again, whenever, gives the same decision and
// byte-identical messages (the DIP refuses the copies, MSG3001).
type Input struct {
	Payload       catalogue.Payload
	TransactionID string
	Timestamp     time.Time
}

// Decision is what the Engine decided about an input.
type Decision struct {
	// Messages are the messages REGS sends, in order: typed payloads with
	// S1 stamped (deterministic references) and A0.primaryRecipients set
	// where the DIP routes to the named parties only. Encode each with
	// catalogue.EncodeValid.
	Messages []catalogue.Payload
	// Rejected is set when REGS refused the input: nothing changed. The
	// rejection's answer, if the interface has one, is in Messages.
	Rejected bool
	// Codes are the business reasons of a rejection (REG codes), as the
	// answer carries them; empty for an input that has no answer.
	Codes []catalogue.RejectionCode
	// Detail says why an input was refused when no code does (a CSS event
	// for a switch REGS does not hold, an unmatched IF-034).
	Detail string
}

// call is the work on one input.
type call struct {
	e      *Engine
	book   Book
	sender *catalogue.Sender
	origin string    // transaction id, CSS event id, tick key
	at     time.Time // the clock
	today  market.SettlementDate
	in     catalogue.Payload // the request answered, if any

	out      []catalogue.Payload
	changed  []*Registration
	rejected bool
	codes    []catalogue.RejectionCode
	detail   string
}

func (e *Engine) newCall(book Book, origin string, at time.Time) *call {
	return &call{
		e:      e,
		book:   book,
		sender: &catalogue.Sender{DIPID: e.cfg.DIPID, Role: string(market.RoleREGS), Environment: e.cfg.Environment, Now: func() time.Time { return at }},
		origin: origin,
		at:     at,
		today:  market.FromTime(at.In(market.London())),
	}
}

// get returns the registration of mpan, or nil when there is none.
func (c *call) get(mpan market.MPAN) (*Registration, error) {
	for _, r := range c.changed {
		if r.MPAN == mpan {
			return r, nil
		}
	}
	r, err := c.book.Registration(mpan)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("regs: read %s: %w", mpan, err)
	}
	return r, nil
}

// keep marks r changed: it is Put when the call is accepted.
func (c *call) keep(r *Registration) {
	if !slices.Contains(c.changed, r) {
		c.changed = append(c.changed, r)
	}
}

// reject refuses the input with codes; nothing it changed is kept.
func (c *call) reject(codes ...catalogue.RejectionCode) {
	c.rejected = true
	c.codes = codes
	c.changed = nil
}

// refuse refuses an input that has no answer, saying why.
func (c *call) refuse(format string, args ...any) {
	c.reject()
	c.detail = fmt.Sprintf(format, args...)
}

// answer stamps resp as the answer to the request and adds it.
func (c *call) answer(resp catalogue.Payload, part ...string) error {
	if err := c.sender.Reply(c.in, resp, part...); err != nil {
		return fmt.Errorf("regs: answer %s: %w", variantKey(c.in), err)
	}
	c.out = append(c.out, resp)
	return nil
}

// rejectWith refuses the input with codes and answers it with resp, its
// R0 the rejection.
func (c *call) rejectWith(resp catalogue.Payload, codes ...catalogue.RejectionCode) error {
	c.reject(codes...)
	*resp.Common().R0 = catalogue.Rejected(codes...)
	return c.answer(resp)
}

// send stamps p, a message REGS sends because of the input, with a
// reference derived from the input and parts (which tell apart several
// messages of one variant), addresses it to the named parties (none: the
// DIP routes it), and adds it.
func (c *call) send(p catalogue.Payload, to []string, part ...string) {
	key := catalogue.Key(append([]string{"follow-up", c.origin, variantKey(p)}, part...)...)
	c.sender.StampKey(p, c.at, key)
	if len(to) > 0 {
		catalogue.To(p, to...)
	}
	c.out = append(c.out, p)
}

func variantKey(p catalogue.Payload) string { return p.Variant().Key() }

// finish puts what the call changed (unless it was rejected) and returns
// its decision.
func (c *call) finish() (Decision, error) {
	d := Decision{Rejected: c.rejected, Codes: c.codes, Detail: c.detail, Messages: c.out}
	if c.rejected {
		return d, nil
	}
	for _, r := range c.changed {
		c.e.schedule(r, c.at)
		if err := c.book.Put(r); err != nil {
			return Decision{}, fmt.Errorf("regs: put %s: %w", r.MPAN, err)
		}
	}
	return d, nil
}

// Receive decides a message the DIP delivered to REGS. It fills the
// payload's D0 transaction id and timestamp from in when the payload lacks
// them. It returns ErrUnsupported, wrapped, for an interface REGS does not
// receive.
func (e *Engine) Receive(book Book, in Input) (Decision, error) {
	if in.Payload == nil || in.TransactionID == "" || in.Timestamp.IsZero() {
		return Decision{}, fmt.Errorf("%w: a delivery needs a payload, a transaction id and a timestamp", ErrInvalidInput)
	}
	if d0 := in.Payload.Common().D0; d0 != nil && d0.TransactionID == "" {
		d0.TransactionID, d0.TransactionTimestamp = in.TransactionID, market.At(in.Timestamp)
	}
	c := e.newCall(book, in.TransactionID, in.Timestamp)
	c.in = in.Payload
	var err error
	switch p := in.Payload.(type) {
	case *catalogue.IF031MSApp, *catalogue.IF031DSApp:
		err = c.appointmentRequest(p.(catalogue.Proposal), in.TransactionID)
	case *catalogue.IF034MSAppSPResponse:
		err = c.providerResponse(p, p.CustomBlock.B007, p.CustomBlock.B012)
	case *catalogue.IF034DSAppSPResponse:
		err = c.providerResponse(p, p.CustomBlock.B007, p.CustomBlock.B012)
	case *catalogue.IF034SDSMDRUpdate:
		err = c.mdrUpdate(p)
	case *catalogue.IF005MeterInstall, *catalogue.IF005MeterRemoval, *catalogue.IF005MeterExchange,
		*catalogue.IF005MeterUpdate, *catalogue.IF005MeterHistoryUpdate:
		err = c.meterTechnicalDetails(p)
	case *catalogue.IF007EnergisationStatusChange:
		err = c.energisation(p)
	case *catalogue.IF007EnergisationStatusFailure:
		// The supplier receives the failure itself (IF-007 goes to REGS
		// and SUP); the registration does not change.
	case *catalogue.IF019LinkedImportExportCreate, *catalogue.IF019LinkedImportExportAdd, *catalogue.IF019LinkedImportExportRemove,
		*catalogue.IF019RelatedCreate, *catalogue.IF019RelatedAdd, *catalogue.IF019RelatedRemove:
		err = c.relationship(p)
	case *catalogue.IF025ConsentGranularity, *catalogue.IF025IHDInfo, *catalogue.IF025SMSO, *catalogue.IF025SSCandProfileClass:
		err = c.supplierData(p)
	case *catalogue.IF038DirectContractMSAdd, *catalogue.IF038DirectContractDSAdd,
		*catalogue.IF038DirectContractMSRemove, *catalogue.IF038DirectContractDSRemove:
		err = c.directContract(p)
	case *catalogue.IF040AnnualConsumption:
		err = c.annualConsumption(p)
	default:
		return Decision{}, fmt.Errorf("%w: %s", ErrUnsupported, variantKey(p))
	}
	if err != nil {
		return Decision{}, err
	}
	return c.finish()
}
