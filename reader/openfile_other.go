//go:build !unix

package reader

import "os"

// openFile is os.Open where openFile_unix's shortcut does not apply.
func openFile(path string) (*os.File, error) { return os.Open(path) }
