"""The one place the version is written; the package metadata reads it from here."""

VERSION = "0.1.0"
