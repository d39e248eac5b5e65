package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/mhhs/mhhs/internal/httpapi"
	"github.com/mhhs/mhhs/internal/signature"
)

// clientFlags are the flags every command that calls a DIP takes.
type clientFlags struct {
	url, dipID, keyFile, certFile, apiKeyFile *string
}

func addClientFlags(fs *flag.FlagSet, getenv func(string) string) clientFlags {
	return clientFlags{
		url:        fs.String("url", envOr(getenv, "MHHS_URL", "http://127.0.0.1:8080"), "the DIP's base URL"),
		dipID:      fs.String("dip-id", getenv("MHHS_DIP_ID"), "your DIP participant id"),
		keyFile:    fs.String("key-file", getenv("MHHS_KEY_FILE"), "your signing key (PEM)"),
		certFile:   fs.String("cert-file", getenv("MHHS_CERT_FILE"), "your signing certificate (PEM)"),
		apiKeyFile: fs.String("api-key-file", getenv("MHHS_API_KEY_FILE"), "file holding your X-API-Key"),
	}
}

func (f clientFlags) client() (*httpapi.Client, error) {
	if *f.dipID == "" || *f.keyFile == "" || *f.certFile == "" || *f.apiKeyFile == "" {
		return nil, fmt.Errorf("--dip-id, --key-file, --cert-file and --api-key-file are required")
	}
	key, certPEM, err := signature.LoadKeyPairFiles(*f.keyFile, *f.certFile)
	if err != nil {
		return nil, err
	}
	signer, err := signature.NewSigner(key, certPEM)
	if err != nil {
		return nil, err
	}
	apiKey, err := os.ReadFile(*f.apiKeyFile)
	if err != nil {
		return nil, err
	}
	return &httpapi.Client{BaseURL: *f.url, APIKey: strings.TrimSpace(string(apiKey)), Signer: signer}, nil
}

// send signs and sends a message array to a channel and prints the DIP's
// verdict per message. It exits 0 when every message was accepted (201),
// 1 when any was not or the DIP could not be reached.
func send(env *cmdEnv, args []string) int {
	fs := newFlagSet(env, "send", "--url URL --channel IF-021 --dip-id ID --key-file F --cert-file F --api-key-file F FILE|-")
	cf := addClientFlags(fs, env.getenv)
	channel := fs.String("channel", "", "channel (IF-nnn); default S0.interfaceID of the first message")
	return subcommand(env, fs, args, func() error {
		if fs.NArg() != 1 {
			return usagef("give one file of a message array, or - for stdin (-h lists the flags)")
		}
		var body []byte
		var err error
		if fs.Arg(0) == "-" {
			body, err = io.ReadAll(env.stdin)
		} else {
			body, err = os.ReadFile(fs.Arg(0))
		}
		if err != nil {
			return usageError{err}
		}
		if *channel == "" {
			*channel = firstInterface(body)
		}
		c, err := cf.client()
		if err != nil {
			return usageError{err}
		}
		resp, err := c.Send(env.ctx, *channel, body)
		if err != nil {
			return err
		}
		sr, err := resp.StandardResponse()
		if err != nil || sr.MessageArray == nil {
			return fmt.Errorf("the DIP answered HTTP %d: %s", resp.Status, resp.Body)
		}
		fmt.Fprintf(env.stdout, "HTTP %d\n", resp.Status)
		for i, it := range *sr.MessageArray {
			verdict := "rejected"
			if it.Message != nil && strings.HasPrefix(*it.Message, "MSG0000") {
				verdict = "accepted"
			}
			fmt.Fprintf(env.stdout, "[%d] %s %s: %s", i, deref(it.SenderUniqueReference), verdict, deref(it.Message))
			if it.TransactionID != nil {
				fmt.Fprintf(env.stdout, " transaction %s", *it.TransactionID)
			}
			fmt.Fprintln(env.stdout)
			if it.Help != nil {
				fmt.Fprintf(env.stdout, "    %s\n", *it.Help)
			}
		}
		if resp.Status != 201 {
			return fmt.Errorf("not every message was accepted (HTTP %d)", resp.Status)
		}
		return nil
	})
}

func deref(s *string) string {
	if s == nil {
		return "-"
	}
	return *s
}

// firstInterface returns S0.interfaceID of the first message, or "".
func firstInterface(body []byte) string {
	i := strings.Index(string(body), `"interfaceID"`)
	if i < 0 {
		return ""
	}
	rest := string(body[i+len(`"interfaceID"`):])
	q1 := strings.Index(rest, `"`)
	if q1 < 0 {
		return ""
	}
	q2 := strings.Index(rest[q1+1:], `"`)
	if q2 < 0 {
		return ""
	}
	return rest[q1+1 : q1+1+q2]
}
