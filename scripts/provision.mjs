// Placeholder: replaced by the harness provisioning (Debian packages and fixture binaries).
