//! Lifecycle calls: a plugin hears when it is installed, upgraded, enabled, disabled and
//! about to be uninstalled. Installing and upgrading wait for the answer (an error keeps
//! things as they were); the other stages are told, and their errors only logged.

use std::sync::Arc;

use courtyard_runtime::Lifecycle;
use courtyard_runtime::api::Grants;

use super::{EnablementRow, Ready};
use crate::app::auth::Auth;
use crate::app::{App, AppError, Result};

impl Ready {
    /// A plugin outside any group: `enablement` is a stand-in with an empty group id and
    /// no settings.
    pub(crate) fn stand_in(
        code: Arc<courtyard_runtime::Plugin>,
        grants: Grants,
        org: &str,
        time_zone: String,
    ) -> Ready {
        Ready {
            enablement: EnablementRow {
                group_id: String::new(),
                plugin_id: code.manifest.id.clone(),
                org_id: org.to_owned(),
                settings: "{}".into(),
                hook_fail_open: true,
                hook_deadline_ms: 0,
                enabled_by: String::new(),
                enabled_at: 0,
                failures: 0,
                trips: 0,
                disabled_reason: None,
                disabled_until: None,
            },
            code,
            grants: Arc::new(grants),
            time_zone,
        }
    }
}

impl App {
    /// Runs `installed` or `upgraded` on the new code before it replaces anything.
    pub(crate) async fn lifecycle_before_install(
        &self,
        auth: &Auth,
        org: &str,
        code: Arc<courtyard_runtime::Plugin>,
        grants: Grants,
        previous_version: Option<String>,
    ) -> Result<()> {
        let ready = Ready::stand_in(code, grants, org, self.org_time_zone(org).await?);
        let stage = match previous_version {
            Some(v) => Lifecycle::Upgraded(v),
            None => Lifecycle::Installed,
        };
        let call = self.call_for(Some(auth), org, None, &ready);
        let started = std::time::Instant::now();
        let outcome = self
            .plugins
            .runtime
            .lifecycle(&ready.code, call, stage)
            .await;
        self.health(&ready, outcome.as_ref().err(), started).await;
        outcome.map_err(|e| {
            AppError::invalid(
                "plugin_refused",
                format!(
                    "the plugin `{}` could not be set up: {e}",
                    ready.enablement.plugin_id
                ),
            )
        })
    }

    /// Tells a plugin about a stage in one group (or its organization); errors are logged.
    pub(crate) async fn lifecycle_notice(
        &self,
        auth: Option<&Auth>,
        ready: &Ready,
        stage: Lifecycle,
    ) {
        let group = ready
            .in_group()
            .then_some(ready.enablement.group_id.as_str());
        let call = self.call_for(auth, &ready.enablement.org_id, group, ready);
        let started = std::time::Instant::now();
        let outcome = self
            .plugins
            .runtime
            .lifecycle(&ready.code, call, stage.clone())
            .await;
        if let Err(e) = &outcome {
            tracing::warn!(plugin = %ready.enablement.plugin_id, ?stage, error = %e, "plugin lifecycle call failed");
        }
        self.health(ready, outcome.as_ref().err(), started).await;
    }
}
