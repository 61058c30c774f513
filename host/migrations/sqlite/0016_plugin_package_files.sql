-- Signed plugin packages (.cyplugin files): the whole file is kept beside the component
-- it carries, for its icon, screenshots and descriptions, and its signature as read when it
-- arrived (the key, and the name it claims). Whether a key is trusted is the deployment's
-- setting, decided when the package is shown or installed. Bundled and legacy uploads
-- have no file. `source`: `bundled`, `upload` or the catalog it came from. `org_id`: the
-- organization whose admin uploaded it (only it may install it); NULL for bundled and
-- catalog packages.

ALTER TABLE plugin_packages ADD COLUMN package_file BLOB;
ALTER TABLE plugin_packages ADD COLUMN signer_key TEXT;
ALTER TABLE plugin_packages ADD COLUMN signer_name TEXT;
ALTER TABLE plugin_packages ADD COLUMN source TEXT NOT NULL DEFAULT 'upload';
ALTER TABLE plugin_packages ADD COLUMN org_id TEXT;

-- Every organization whose admin uploaded the package (the same bytes may come from
-- several: `courtyard plugin pack` is reproducible); each may install it.
CREATE TABLE plugin_package_orgs (
    sha256  TEXT NOT NULL REFERENCES plugin_packages(sha256),
    org_id  TEXT NOT NULL,
    PRIMARY KEY (sha256, org_id)
);
