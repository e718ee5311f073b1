package extsort

import (
	"bytes"
	"encoding/binary"
	"errors"
	"time"
)

// Keys are built of fields whose byte order is their value's order, so that
// bytes.Compare on whole keys orders records field by field.

// ErrBadKey is returned when a key does not hold the field asked for.
var ErrBadKey = errors.New("extsort: malformed key")

// AppendString appends s so that strings compare as Go strings do and a
// string is never a prefix of another's encoding: NUL becomes NUL 0xFF, and
// NUL 0x01 ends it.
func AppendString(b []byte, s string) []byte {
	for {
		i := indexNUL(s)
		if i < 0 {
			break
		}
		b = append(b, s[:i]...)
		b = append(b, 0, 0xFF)
		s = s[i+1:]
	}
	b = append(b, s...)
	return append(b, 0, 1)
}

func indexNUL(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return i
		}
	}
	return -1
}

// ReadString reads a string AppendString wrote at the start of b and
// returns it with the rest of b.
func ReadString(b []byte) (string, []byte, error) {
	i := bytes.IndexByte(b, 0)
	if i < 0 || i+1 >= len(b) {
		return "", nil, ErrBadKey
	}
	if b[i+1] == 1 {
		return string(b[:i]), b[i+2:], nil
	}
	var out []byte
	for {
		if i < 0 || i+1 >= len(b) {
			return "", nil, ErrBadKey
		}
		switch b[i+1] {
		case 1:
			out = append(out, b[:i]...)
			return string(out), b[i+2:], nil
		case 0xFF:
			out = append(out, b[:i]...)
			out = append(out, 0)
			b = b[i+2:]
			i = bytes.IndexByte(b, 0)
		default:
			return "", nil, ErrBadKey
		}
	}
}

// SkipString returns b after the string at its start.
func SkipString(b []byte) ([]byte, error) {
	for {
		i := bytes.IndexByte(b, 0)
		if i < 0 || i+1 >= len(b) {
			return nil, ErrBadKey
		}
		switch b[i+1] {
		case 1:
			return b[i+2:], nil
		case 0xFF:
			b = b[i+2:]
		default:
			return nil, ErrBadKey
		}
	}
}

// AppendInt64 appends v in eight bytes that order as the integers do.
func AppendInt64(b []byte, v int64) []byte {
	return binary.BigEndian.AppendUint64(b, uint64(v)^(1<<63))
}

// ReadInt64 reads what AppendInt64 wrote at the start of b.
func ReadInt64(b []byte) (int64, []byte, error) {
	if len(b) < 8 {
		return 0, nil, ErrBadKey
	}
	return int64(binary.BigEndian.Uint64(b) ^ (1 << 63)), b[8:], nil
}

// AppendTime appends t in twelve bytes that order as instants do (seconds
// as AppendInt64, then nanoseconds).
func AppendTime(b []byte, t time.Time) []byte {
	b = AppendInt64(b, t.Unix())
	return binary.BigEndian.AppendUint32(b, uint32(t.Nanosecond()))
}

// ReadTime reads what AppendTime wrote at the start of b, in UTC.
func ReadTime(b []byte) (time.Time, []byte, error) {
	sec, b, err := ReadInt64(b)
	if err != nil || len(b) < 4 {
		return time.Time{}, nil, ErrBadKey
	}
	return time.Unix(sec, int64(binary.BigEndian.Uint32(b))).UTC(), b[4:], nil
}
