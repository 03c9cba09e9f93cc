"""Object storage (local folder or any S3-compatible store such as MinIO) and versioned reports."""
