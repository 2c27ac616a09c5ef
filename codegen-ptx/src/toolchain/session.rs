//! A long-lived assembler: for the container route, one container started once and reached
//! with `ENGINE exec` per kernel (saves the container start-up on every call); for the other
//! routes, the same calls as [`Toolchain::assemble`].

use std::sync::Mutex;

use super::container::{self, Exec};
use super::ptxas::check_arch;
use super::{Assembled, Assembler, Toolchain, ToolchainError};

/// Made by [`Toolchain::start_session`]. Dropping it removes its container (`ENGINE rm -f`);
/// a process killed outright leaves the container running (see docs/ptx.md).
#[derive(Debug)]
pub struct Session {
    toolchain: Toolchain,
    /// The running container's name; None before the first start or after a timeout.
    container: Mutex<Option<String>>,
}

impl Toolchain {
    /// A session on this toolchain; for the container route its container starts now.
    pub fn start_session(&self) -> Result<Session, ToolchainError> {
        let session = Session {
            toolchain: self.clone(),
            container: Mutex::new(None),
        };
        if let Assembler::Container { engine, image } = &self.assembler {
            let name = container::start(engine, image, self.limits.assemble)?;
            *session.lock() = Some(name);
        }
        Ok(session)
    }
}

impl Session {
    /// The toolchain this session runs.
    pub fn toolchain(&self) -> &Toolchain {
        &self.toolchain
    }

    /// The container's name, when one is running.
    pub fn container(&self) -> Option<String> {
        self.lock().clone()
    }

    /// Assembles `ptx` for `arch` as [`Toolchain::assemble`] does. A container that has
    /// gone away is started again once; one that timed out is removed and replaced on the
    /// next call.
    pub fn assemble(&self, ptx: &str, arch: &str) -> Result<Assembled, ToolchainError> {
        let Assembler::Container { engine, image } = &self.toolchain.assembler else {
            return self.toolchain.assemble(ptx, arch);
        };
        check_arch(arch)?;
        let limits = self.toolchain.limits;
        for _ in 0..2 {
            let name = self.running(engine, image)?;
            match container::exec(engine, image, &name, ptx, arch, limits.assemble) {
                Exec::Done(Err(e @ ToolchainError::Timeout { .. })) => {
                    // ptxas may still run inside: the container goes, the next call starts anew.
                    self.forget(&name);
                    container::remove(engine, &name, limits.probe);
                    return Err(e);
                }
                Exec::Done(result) => return result,
                Exec::Gone => self.forget(&name),
            }
        }
        Err(ToolchainError::Failed {
            what: format!("{} exec", container::engine_name(engine)),
            status: "no container".to_string(),
            message: "the ptxas container stopped again right after it was started".to_string(),
        })
    }

    /// The running container's name, starting one when there is none.
    fn running(&self, engine: &std::path::Path, image: &str) -> Result<String, ToolchainError> {
        let mut slot = self.lock();
        if let Some(name) = slot.as_ref() {
            return Ok(name.clone());
        }
        let name = container::start(engine, image, self.toolchain.limits.assemble)?;
        *slot = Some(name.clone());
        Ok(name)
    }

    /// Drops `name` from the session if it is still the current container.
    fn forget(&self, name: &str) {
        let mut slot = self.lock();
        if slot.as_deref() == Some(name) {
            *slot = None;
        }
    }

    /// The container slot; a panic elsewhere while it was held leaves a usable value.
    fn lock(&self) -> std::sync::MutexGuard<'_, Option<String>> {
        self.container.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if let (Assembler::Container { engine, .. }, Some(name)) =
            (&self.toolchain.assembler, self.lock().take())
        {
            container::remove(engine, &name, self.toolchain.limits.probe);
        }
    }
}
