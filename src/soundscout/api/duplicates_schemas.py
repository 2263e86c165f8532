"""Response bodies of the duplicates: ``GET /api/duplicates``, a sound's group, and the
CLI's ``duplicates --json`` (the same shape)."""

from __future__ import annotations

import posixpath

from pydantic import BaseModel, Field

from soundscout.api.schemas import SoundOut, audio_url, folder_of
from soundscout.catalog.catalog import SoundRow
from soundscout.duplicates.report import Group, Member, Relation

KIND_DESCRIPTION = (
    '"exact" (same bytes or decoded audio), "recording" (the same recording in another '
    'format, sample rate, level or trim) or "variant" (other takes as well).'
)


class DuplicateFileOut(BaseModel):
    """A file of a group, or a silent file."""

    id: int
    path: str
    name: str
    folder: str
    format: str | None
    sample_rate: int | None
    bit_depth: int | None
    channels: int | None
    duration: float | None
    size: int = Field(description="Bytes on disk.")
    audio_url: str


class DuplicateMemberOut(DuplicateFileOut):
    """A file of a group and which copies it goes with."""

    exact_group: int | None = Field(description="Its exact copies' group (null: none).")
    recording_group: int | None = Field(
        description="Its recording's copies' group (null: no copy; other takes only)."
    )
    keep: bool = Field(description="The best-quality copy of its recording (what collapse shows).")
    relation: Relation = Field(
        description="What it is in its group: `keep` (the copy to keep of a recording that has "
        "copies), `exact copy` (of its recording's kept file), `copy` (another copy; two lossy "
        "copies may be exact copies of each other) or `variant` (another take, no copy)."
    )


class DuplicateGroupOut(BaseModel):
    """Sounds connected by copies or variants."""

    id: int = Field(description="The group's smallest sound id.")
    kind: str = Field(description=KIND_DESCRIPTION)
    size: int = Field(description="Bytes on disk of all its files.")
    members: list[DuplicateMemberOut]


class DuplicatesOut(BaseModel):
    """The library's duplicate groups (a page of them) and its silent sounds."""

    total: int = Field(description="Groups of this kind in the library.")
    groups: list[DuplicateGroupOut]
    silent: list[DuplicateFileOut] = Field(
        description="Digital silence (or nearly): reported apart, never grouped."
    )
    unprinted: int = Field(
        description="Indexed sounds without a fingerprint (indexed by an older version): "
        "only exact copies and variants of them are found until they are indexed again."
    )
    current: bool = Field(
        description="The groups are up to date with the library (false: the next index run "
        "or `soundscout duplicates` updates them)."
    )


class SoundWithGroupOut(SoundOut):
    """Metadata of one catalogued sound, with its duplicate group."""

    duplicates: DuplicateGroupOut | None = Field(
        None, description="The group of copies and variants holding this sound (null: none)."
    )


def file_out(row: SoundRow) -> DuplicateFileOut:
    """Response form of a grouped or silent file."""
    return DuplicateFileOut.model_validate(_file_fields(row))


def group_out(group: Group) -> DuplicateGroupOut:
    """Response form of a group."""
    return DuplicateGroupOut(
        id=group.id, kind=group.kind, size=group.size, members=[_member(m) for m in group.members]
    )


def _member(member: Member) -> DuplicateMemberOut:
    return DuplicateMemberOut.model_validate(
        {
            **_file_fields(member.row),
            "exact_group": member.exact_group,
            "recording_group": member.recording_group,
            "keep": member.best,
            "relation": member.relation,
        }
    )


def _file_fields(row: SoundRow) -> dict[str, object]:
    return {
        "id": row.id,
        "path": row.path,
        "name": posixpath.basename(row.path),
        "folder": folder_of(row.path, [row.root]),
        "format": row.format,
        "sample_rate": row.sample_rate,
        "bit_depth": row.bit_depth,
        "channels": row.channels,
        "duration": row.duration,
        "size": row.size,
        "audio_url": audio_url(row.id),
    }


def duplicates_out(
    groups: list[Group], total: int, silent: list[SoundRow], unprinted: int, current: bool
) -> DuplicatesOut:
    """Response form of a page of groups with the library's silent sounds."""
    return DuplicatesOut(
        total=total,
        groups=[group_out(g) for g in groups],
        silent=[file_out(r) for r in silent],
        unprinted=unprinted,
        current=current,
    )
