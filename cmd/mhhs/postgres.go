package main

import (
	"context"

	"github.com/mhhs/mhhs/internal/dip"
	"github.com/mhhs/mhhs/internal/postgres"
)

func openPostgres(ctx context.Context, url string) (dip.Store, error) {
	return postgres.Open(ctx, url)
}
