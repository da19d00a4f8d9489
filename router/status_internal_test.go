package router

import (
	"testing"
	"time"
)

func TestHumanDuration(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{-time.Hour, "0s"},
		{0, "0s"},
		{999 * time.Millisecond, "0s"},
		{42 * time.Second, "42s"},
		{time.Minute, "1m 0s"},
		{5*time.Minute + 3*time.Second, "5m 3s"},
		{3*time.Hour + 5*time.Minute + 59*time.Second, "3h 5m"},
		{49*time.Hour + 30*time.Minute, "2d 1h"},
		{400 * 24 * time.Hour, "400d 0h"},
	} {
		if got := humanDuration(c.d); got != c.want {
			t.Errorf("humanDuration(%v) = %q, want %q", c.d, got, c.want)
		}
	}
}
