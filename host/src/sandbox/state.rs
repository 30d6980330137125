//! What one store holds for one plugin run: the WASI context (granting nothing),
//! the memory cap, the input under scan and the members the plugin hands back.

use std::io::{Seek, SeekFrom, Write};
use std::sync::Arc;
use std::time::Duration;

use wasmtime::ResourceLimiter;
use wasmtime::component::{Resource, ResourceTable};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxView, WasiView};

use super::world::{Host, HostInput, HostMemberSink, MemberHeader};
use crate::limits::{ArchiveLimits, Budget, LimitHit};
use crate::source::Source;

/// Most bytes one `input.read` call returns; plugins loop for more.
const MAX_READ_CALL: u32 = 16 << 20;
/// Member bytes kept in memory before spilling to a temporary file.
const MEMBER_MEMORY_BYTES: usize = 8 << 20;

/// The `input` resource's host side.
pub struct InputHandle {
    pub source: Source,
    pub name: String,
    pub hint: Option<String>,
}

/// The `member-sink` resource's host side: an index into `HostState::members`.
pub struct SinkHandle(usize);

/// A member handed back by an archive plugin.
pub struct Member {
    pub name: String,
    pub hint: Option<String>,
    pub declared_size: Option<u64>,
    pub compressed_size: Option<u64>,
    pub content: MemberContent,
}

pub enum MemberContent {
    /// Bytes still arriving through a sink.
    Open(MemberBuffer),
    /// Complete and ready to scan.
    Ready(Source),
    /// A limit stopped it; `written` bytes had arrived.
    Stopped { hit: LimitHit, written: u64 },
    /// The plugin never called `finish`.
    Unfinished { written: u64 },
}

impl MemberContent {
    /// Bytes that arrived for this member.
    pub fn written(&self) -> u64 {
        match self {
            MemberContent::Open(buffer) => buffer.written,
            MemberContent::Ready(source) => source.size(),
            MemberContent::Stopped { written, .. } | MemberContent::Unfinished { written } => {
                *written
            }
        }
    }
}

/// Member bytes, in memory while small, in an anonymous temporary file beyond that.
#[derive(Default)]
pub struct MemberBuffer {
    memory: Vec<u8>,
    spill: Option<std::fs::File>,
    written: u64,
}

impl MemberBuffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        if self.spill.is_none() && self.memory.len() + bytes.len() > MEMBER_MEMORY_BYTES {
            let mut file = tempfile::tempfile()?;
            file.write_all(&self.memory)?;
            self.memory = Vec::new();
            self.spill = Some(file);
        }
        match &mut self.spill {
            Some(file) => file.write_all(bytes)?,
            None => self.memory.extend_from_slice(bytes),
        }
        self.written += bytes.len() as u64;
        Ok(())
    }

    fn into_source(self) -> std::io::Result<Source> {
        match self.spill {
            None => Ok(Source::memory(self.memory)),
            Some(mut file) => {
                file.seek(SeekFrom::Start(0))?;
                Ok(Source::file(file, self.written))
            }
        }
    }
}

/// Rejects memory growth past the cap, remembering that it did.
pub struct MemoryCap {
    pub max_bytes: usize,
    pub hit: bool,
}

impl ResourceLimiter for MemoryCap {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _max: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let allowed = desired <= self.max_bytes;
        self.hit |= !allowed;
        Ok(allowed)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _max: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }
}

/// A clock stuck at zero: plugins get no time source to measure or leak with.
struct FrozenClock;

impl HostWallClock for FrozenClock {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }
    fn now(&self) -> Duration {
        Duration::ZERO
    }
}

impl HostMonotonicClock for FrozenClock {
    fn resolution(&self) -> u64 {
        1_000_000_000
    }
    fn now(&self) -> u64 {
        0
    }
}

pub struct HostState {
    wasi: WasiCtx,
    table: ResourceTable,
    pub memory: MemoryCap,
    pub output: MemoryOutputPipe,
    pub bytes_read: u64,
    pub members: Vec<Member>,
    limits: Arc<ArchiveLimits>,
    budget: Arc<Budget>,
    /// Members refused outright (count limit) — reported, never scanned.
    pub refused: Vec<(String, LimitHit)>,
    /// The input under scan, which `member-range` slices.
    input: Option<Source>,
}

impl HostState {
    pub fn new(
        max_memory: usize,
        output_cap: usize,
        limits: Arc<ArchiveLimits>,
        budget: Arc<Budget>,
    ) -> Self {
        let output = MemoryOutputPipe::new(output_cap);
        // Nothing granted: no preopened directories, environment, arguments,
        // network or name lookup; stdout and stderr share one capped buffer.
        let wasi = WasiCtx::builder()
            .stdout(output.clone())
            .stderr(output.clone())
            .wall_clock(FrozenClock)
            .monotonic_clock(FrozenClock)
            .allow_ip_name_lookup(false)
            .allow_tcp(false)
            .allow_udp(false)
            .build();
        HostState {
            wasi,
            table: ResourceTable::new(),
            memory: MemoryCap {
                max_bytes: max_memory,
                hit: false,
            },
            output,
            bytes_read: 0,
            members: Vec::new(),
            limits,
            budget,
            refused: Vec::new(),
            input: None,
        }
    }

    pub fn push_input(&mut self, input: InputHandle) -> wasmtime::Result<Resource<InputHandle>> {
        self.input = Some(input.source.clone());
        Ok(self.table.push(input)?)
    }

    fn new_member(
        &mut self,
        header: MemberHeader,
        content: MemberContent,
    ) -> Result<usize, String> {
        if let Err(hit) = self.budget.add_member(&self.limits) {
            self.refused.push((header.name.clone(), hit));
            return Err(format!(
                "member limit of {} reached",
                self.limits.max_members
            ));
        }
        self.members.push(Member {
            name: header.name,
            hint: header.hint,
            declared_size: header.declared_size,
            compressed_size: header.compressed_size,
            content,
        });
        Ok(self.members.len() - 1)
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl HostInput for HostState {
    fn size(&mut self, input: Resource<InputHandle>) -> wasmtime::Result<u64> {
        Ok(self.table.get(&input)?.source.size())
    }

    fn read(
        &mut self,
        input: Resource<InputHandle>,
        offset: u64,
        len: u32,
    ) -> wasmtime::Result<Result<Vec<u8>, String>> {
        let source = &self.table.get(&input)?.source;
        let result = source
            .read_at(offset, len.min(MAX_READ_CALL) as usize)
            .map_err(|e| e.to_string());
        if let Ok(bytes) = &result {
            self.bytes_read += bytes.len() as u64;
        }
        Ok(result)
    }

    fn name(&mut self, input: Resource<InputHandle>) -> wasmtime::Result<String> {
        Ok(self.table.get(&input)?.name.clone())
    }

    fn hint(&mut self, input: Resource<InputHandle>) -> wasmtime::Result<Option<String>> {
        Ok(self.table.get(&input)?.hint.clone())
    }

    fn drop(&mut self, input: Resource<InputHandle>) -> wasmtime::Result<()> {
        self.table.delete(input)?;
        Ok(())
    }
}

impl HostMemberSink for HostState {
    fn write(
        &mut self,
        sink: Resource<SinkHandle>,
        bytes: Vec<u8>,
    ) -> wasmtime::Result<Result<(), String>> {
        let index = self.table.get(&sink)?.0;
        let member = &mut self.members[index];
        let MemberContent::Open(buffer) = &mut member.content else {
            return Ok(Err("member is closed".into()));
        };
        let written = buffer.written;
        if let Err(hit) = self.budget.add_bytes(
            &self.limits,
            written,
            bytes.len() as u64,
            member.compressed_size,
        ) {
            member.content = MemberContent::Stopped { hit, written };
            return Ok(Err(format!(
                "member {:?} stopped: {hit:?} limit",
                member.name
            )));
        }
        Ok(buffer
            .write(&bytes)
            .map_err(|e| format!("cannot buffer member: {e}")))
    }

    fn finish(&mut self, sink: Resource<SinkHandle>) -> wasmtime::Result<Result<(), String>> {
        let index = self.table.get(&sink)?.0;
        let member = &mut self.members[index];
        let content = std::mem::replace(
            &mut member.content,
            MemberContent::Unfinished { written: 0 },
        );
        let (content, result) = match content {
            MemberContent::Open(buffer) => match buffer.into_source() {
                Ok(source) => (MemberContent::Ready(source), Ok(())),
                Err(e) => (
                    MemberContent::Unfinished { written: 0 },
                    Err(format!("cannot buffer member: {e}")),
                ),
            },
            other => (other, Err("member is closed".into())),
        };
        member.content = content;
        Ok(result)
    }

    fn drop(&mut self, sink: Resource<SinkHandle>) -> wasmtime::Result<()> {
        let index = self.table.delete(sink)?.0;
        let member = &mut self.members[index];
        if let MemberContent::Open(buffer) = &member.content {
            member.content = MemberContent::Unfinished {
                written: buffer.written,
            };
        }
        Ok(())
    }
}

impl super::world::cordon::scanner::types::Host for HostState {}

impl Host for HostState {
    fn open_member(
        &mut self,
        header: MemberHeader,
    ) -> wasmtime::Result<Result<Resource<SinkHandle>, String>> {
        match self.new_member(header, MemberContent::Open(MemberBuffer::default())) {
            Ok(index) => Ok(Ok(self.table.push(SinkHandle(index))?)),
            Err(e) => Ok(Err(e)),
        }
    }

    fn member_range(
        &mut self,
        header: MemberHeader,
        offset: u64,
        len: u64,
    ) -> wasmtime::Result<Result<(), String>> {
        let Some(source) = self.input.as_ref().and_then(|s| s.slice(offset, len)) else {
            return Ok(Err(format!("range {offset}+{len} is outside the input")));
        };
        let index = match self.new_member(header, MemberContent::Ready(source)) {
            Ok(index) => index,
            Err(e) => return Ok(Err(e)),
        };
        // Stored members cost no decompression, but scanning them does: they count
        // against the same byte limits as streamed ones.
        if let Err(hit) = self.budget.add_bytes(&self.limits, 0, len, None) {
            self.members[index].content = MemberContent::Stopped { hit, written: 0 };
            return Ok(Err(format!(
                "member {:?} refused: {hit:?} limit",
                self.members[index].name
            )));
        }
        Ok(Ok(()))
    }
}
