"""The auditors' review app: the queue, each packet's pages and findings, decisions and the audit log."""
