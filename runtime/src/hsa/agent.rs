//! Agent discovery: every agent the runtime reports (`hsa_iterate_agents`), with its name
//! (`gfx1100` for a GPU; the ISA) and device type (`hsa_agent_get_info`), and the choice of
//! the Nth gfx11 GPU for `hsa:N`.

use super::ffi::{self, Agent, Api};
use crate::DeviceError;
use std::ffi::c_void;

/// One agent as the runtime describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentInfo {
    pub agent: Agent,
    /// `HSA_AGENT_INFO_NAME`: the ISA name (`gfx1100`) for a GPU.
    pub name: String,
    pub device_type: u32,
}

/// Collects each agent handle into the `Vec<Agent>` behind `data`.
unsafe extern "C" fn collect_agent(agent: Agent, data: *mut c_void) -> ffi::Status {
    // SAFETY: `data` is the `&mut Vec<Agent>` `agents` passes, alive for the iteration,
    // and the runtime calls back on the iterating thread only.
    let list = unsafe { &mut *data.cast::<Vec<Agent>>() };
    list.push(agent);
    ffi::STATUS_SUCCESS
}

/// Every agent, in the runtime's order.
pub fn agents(api: &Api, device: &str) -> Result<Vec<AgentInfo>, DeviceError> {
    let mut handles: Vec<Agent> = Vec::new();
    // SAFETY: the callback only pushes onto `handles`, which outlives the call.
    let status =
        unsafe { (api.iterate_agents)(collect_agent, (&raw mut handles).cast::<c_void>()) };
    api.check(status, device, "listing the HSA agents")?;
    let mut out = Vec::with_capacity(handles.len());
    for agent in handles {
        let mut name = [0u8; 64];
        let mut device_type = 0u32;
        // SAFETY: NAME is a char[64] and DEVICE a 32-bit enum, written into buffers of
        // exactly those sizes.
        let status =
            unsafe { (api.agent_get_info)(agent, ffi::AGENT_INFO_NAME, name.as_mut_ptr().cast()) };
        api.check(status, device, "reading an agent's name")?;
        let status = unsafe {
            (api.agent_get_info)(agent, ffi::AGENT_INFO_DEVICE, (&raw mut device_type).cast())
        };
        api.check(status, device, "reading an agent's device type")?;
        out.push(AgentInfo {
            agent,
            name: ffi::text64(&name),
            device_type,
        });
    }
    Ok(out)
}

/// The `ordinal`th GPU agent whose ISA is gfx11 (`gfx11xx`), which must be gfx1100.
pub fn pick_gfx11(
    agents: &[AgentInfo],
    ordinal: usize,
    device: &str,
) -> Result<AgentInfo, DeviceError> {
    let gpus: Vec<&AgentInfo> = agents
        .iter()
        .filter(|a| a.device_type == ffi::DEVICE_TYPE_GPU)
        .collect();
    let chosen = gpus
        .iter()
        .filter(|a| a.name.starts_with("gfx11"))
        .nth(ordinal);
    let Some(chosen) = chosen else {
        let found = if gpus.is_empty() {
            "none".to_string()
        } else {
            gpus.iter()
                .map(|a| a.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        return Err(DeviceError::NoAgent {
            device: device.into(),
            found,
        });
    };
    if chosen.name != "gfx1100" {
        return Err(DeviceError::WrongIsa {
            device: device.into(),
            isa: chosen.name.clone(),
        });
    }
    Ok((*chosen).clone())
}

/// The agent's marketing name (`HSA_AMD_AGENT_INFO_PRODUCT_NAME`), when it has one.
pub fn product_name(api: &Api, agent: Agent) -> Option<String> {
    let mut name = [0u8; 64];
    // SAFETY: PRODUCT_NAME is a char[64], written into a buffer of that size.
    let status = unsafe {
        (api.agent_get_info)(
            agent,
            ffi::AMD_AGENT_INFO_PRODUCT_NAME,
            name.as_mut_ptr().cast(),
        )
    };
    let name = ffi::text64(&name);
    (status == ffi::STATUS_SUCCESS && !name.is_empty()).then_some(name)
}

/// The largest queue the agent supports (`HSA_AGENT_INFO_QUEUE_MAX_SIZE`).
pub fn queue_max_size(api: &Api, agent: Agent, device: &str) -> Result<u32, DeviceError> {
    let mut size = 0u32;
    // SAFETY: QUEUE_MAX_SIZE is a uint32_t.
    let status = unsafe {
        (api.agent_get_info)(
            agent,
            ffi::AGENT_INFO_QUEUE_MAX_SIZE,
            (&raw mut size).cast(),
        )
    };
    api.check(status, device, "reading the queue size limit")?;
    Ok(size)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agent(handle: u64, name: &str, device_type: u32) -> AgentInfo {
        AgentInfo {
            agent: Agent { handle },
            name: name.into(),
            device_type,
        }
    }

    #[test]
    fn the_nth_gfx11_gpu_is_chosen_and_must_be_gfx1100() {
        let cpu = ffi::DEVICE_TYPE_CPU;
        let gpu = ffi::DEVICE_TYPE_GPU;
        let list = [
            agent(1, "AMD Ryzen", cpu),
            agent(2, "gfx90a", gpu),
            agent(3, "gfx1100", gpu),
            agent(4, "gfx1101", gpu),
        ];
        assert_eq!(pick_gfx11(&list, 0, "hsa:0").map(|a| a.agent.handle), Ok(3));
        let err = pick_gfx11(&list, 1, "hsa:1").unwrap_err().to_string();
        assert_eq!(err, "hsa:1 is gfx1101; egpu compiles for gfx1100 only");
        let err = pick_gfx11(&list, 2, "hsa:2").unwrap_err().to_string();
        assert_eq!(
            err,
            "hsa:2: no such gfx11 GPU agent (the HSA runtime lists GPU agents: gfx90a, gfx1100, gfx1101)"
        );
        let err = pick_gfx11(&list[..1], 0, "hsa:0").unwrap_err().to_string();
        assert!(err.ends_with("GPU agents: none)"), "{err}");
    }
}
