package reader

// SetPageSize sets the MaxKeys of s's listings, to exercise pagination.
func SetPageSize(s *S3, n int32) { s.pageSize = n }
