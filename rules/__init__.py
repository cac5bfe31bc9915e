"""The agreement's rules as plain functions, one module per paragraph or group of paragraphs.
Each rule returns why a filing cannot be accepted now (or None), or computes a date the text
implies; the workflows call them and never restate them."""
