-- Model file bytes live in the database so every server on it can load a version deployed anywhere
-- (before, each process kept .onnx files under its own data dir). One row per kind and version; the
-- sha256 is of `bytes` when written, and the registry checks the bytes against the models row on load.
CREATE TABLE IF NOT EXISTS "model_files" (
	"kind" text NOT NULL,
	"version" integer NOT NULL,
	"sha256" text NOT NULL,
	"size_bytes" integer NOT NULL,
	"bytes" bytea NOT NULL,
	"created_at_ms" bigint NOT NULL,
	CONSTRAINT "model_files_kind_version_pk" PRIMARY KEY ("kind", "version")
);
