"""Attachments of cases (photos from the field, PDFs): what is accepted, stored and served, and to whom."""
