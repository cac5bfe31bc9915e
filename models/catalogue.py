"""¶1, ¶8–27: the four pillars, eleven policy areas and the joint-action commitments.

Titles are our own short words for each commitment; the ¶ ref points at the full text.
"""

from __future__ import annotations

from pydantic import BaseModel


class Commitment(BaseModel, frozen=True):
    ref: str  # "9b": paragraph and letter as printed
    paragraph: int
    title: str


class PolicyArea(BaseModel, frozen=True):
    slug: str
    name: str
    pillar: int
    paragraphs: tuple[int, ...]  # context and commitment paragraphs of the area
    commitments: tuple[Commitment, ...]


class Pillar(BaseModel, frozen=True):
    number: int
    letter: str  # ¶1 lists the pillars as a–d
    name: str


def paragraph_of(ref: str) -> int | None:
    """The ¶ a commitment ref names by its leading digits (9b: ¶9), or None: a commitment added by
    amendment may be named otherwise (quantum-a), and sits under no ¶ of the text as signed."""
    digits = ref[: len(ref) - len(ref.lstrip("0123456789"))]
    return int(digits) if digits else None


def _c(ref: str, title: str) -> Commitment:
    return Commitment(ref=ref, paragraph=paragraph_of(ref) or 0, title=title)


PILLARS: tuple[Pillar, ...] = (
    Pillar(number=1, letter="a", name="Strengthening digital infrastructure"),
    Pillar(number=2, letter="b", name="Fostering technological innovation"),
    Pillar(number=3, letter="c", name="Reinforcing multi-stakeholder forums and approaches"),
    Pillar(
        number=4,
        letter="d",
        name="Improving baseline cyber security and securing critical technologies",
    ),
)

POLICY_AREAS: tuple[PolicyArea, ...] = (
    PolicyArea(
        slug="telecoms",
        name="Future telecoms and supply chain resilience",
        pillar=1,
        paragraphs=(8, 9),
        commitments=(
            _c("9a", "Security, resilience and interoperability of telecoms networks"),
            _c("9b", "Telecoms R&D collaboration: 5G, 6G, Open RAN and beyond"),
            _c("9c", "Industry and academia partnerships in telecoms"),
        ),
    ),
    PolicyArea(
        slug="semiconductors",
        name="Semiconductors",
        pillar=1,
        paragraphs=(10, 11),
        commitments=(
            _c("11a", "Semiconductor R&D: chip design, materials, advanced packaging"),
            _c("11b", "Exchanges among specialist semiconductor researchers"),
        ),
    ),
    PolicyArea(
        slug="ai",
        name="Artificial intelligence",
        pillar=2,
        paragraphs=(12, 13),
        commitments=(
            _c("13a", "AI interoperability and skills development"),
            _c("13b", "Agile, evidence-based, multi-stakeholder AI governance"),
            _c("13c", "Collaboration in GPAI, OECD, UNESCO and with like-minded partners"),
            _c("13d", "Information-sharing on harms from AI systems"),
        ),
    ),
    PolicyArea(
        slug="data",
        name="Data",
        pillar=2,
        paragraphs=(14, 15),
        commitments=(
            _c("15a", "Trusted cross-border data flows and personal data protection"),
            _c("15b", "Data availability, sharing and innovation"),
            _c("15c", "Security and resilience of data infrastructure and cloud"),
            _c("15d", "Interoperable trust services, e-authentication and e-signatures"),
        ),
    ),
    PolicyArea(
        slug="tech-ecosystems",
        name="Developing tech ecosystems",
        pillar=2,
        paragraphs=(16,),
        commitments=(
            _c("16a", "Business partnerships for innovation in key technologies"),
            _c("16b", "Ecosystem workshops with policymakers, business and start-ups"),
            _c("16c", "Business-to-business matching for innovative companies"),
        ),
    ),
    PolicyArea(
        slug="digital-norms",
        name="Global digital norms",
        pillar=3,
        paragraphs=(17, 18),
        commitments=(_c("18", "Global cooperation on norms for emerging digital technologies"),),
    ),
    PolicyArea(
        slug="standards",
        name="Digital technical standards",
        pillar=3,
        paragraphs=(19, 20),
        commitments=(
            _c("20a", "Industry-led, multi-stakeholder, consensus-based standards"),
            _c("20b", "Bilateral standards collaboration, e.g. quantum"),
            _c("20c", "Digital Technical Standards Points of Contact Group outreach"),
        ),
    ),
    PolicyArea(
        slug="internet-governance",
        name="Internet governance",
        pillar=3,
        paragraphs=(21, 22),
        commitments=(
            _c("22a", "Effectiveness of ICANN, the IGF and other multi-stakeholder bodies"),
            _c("22b", "Multi-stakeholder governance at UN organisations including the ITU"),
            _c("22c", "A positive outcome of the WSIS+20 Review"),
        ),
    ),
    PolicyArea(
        slug="digital-markets",
        name="Fair and competitive digital markets",
        pillar=3,
        paragraphs=(23, 24),
        commitments=(
            _c("24a", "Policy coherence on competition in digital markets"),
            _c("24b", "Sharing case studies, best practice and policy dialogue"),
            _c("24c", "Fair competition practices and innovation in digital markets"),
        ),
    ),
    PolicyArea(
        slug="cyber-security",
        name="Cyber security",
        pillar=4,
        paragraphs=(25,),
        commitments=(
            _c("25a", "Security and privacy of apps and app stores"),
            _c("25b", "A co-developed programme on cyber resilience"),
            _c("25c", "Cyber skills pipeline and the cyber profession"),
            _c("25d", "Cyber security of digital supply chains"),
            _c("25e", "Security of IoT devices"),
            _c("25f", "Coordinated positions on cyber in multilateral forums"),
        ),
    ),
    PolicyArea(
        slug="online-safety",
        name="Online safety",
        pillar=4,
        paragraphs=(26, 27),
        commitments=(
            _c("27a", "Policy exchange building on the G7 Internet Safety Principles"),
            _c("27b", "Risk-based, systems and processes approaches to online safety"),
            _c("27c", "Media literacy, safety technologies, disinformation"),
        ),
    ),
)

COMMITMENTS: dict[str, Commitment] = {c.ref: c for area in POLICY_AREAS for c in area.commitments}

#: The numbered paragraphs of the text as signed (an amendment must name one of these).
PARAGRAPHS: range = range(1, 34)


def area_of(ref: str) -> PolicyArea:
    """The policy area a commitment ref sits under; KeyError names the unknown ref."""
    for area in POLICY_AREAS:
        if any(c.ref == ref for c in area.commitments):
            return area
    raise KeyError(ref)


def find_area(name_or_slug: str) -> PolicyArea | None:
    """An area by slug or by name, case-insensitively."""
    wanted = name_or_slug.strip().lower()
    for area in POLICY_AREAS:
        if wanted in (area.slug, area.name.lower()):
            return area
    return None


def amended_catalogue(changes: list) -> tuple[set[str], set[str]]:
    """The commitment refs and area slugs in force after `changes` (CatalogueChange, in order)."""
    refs = set(COMMITMENTS)
    areas = {a.slug for a in POLICY_AREAS}
    for change in changes:
        if change.action == "add-commitment":
            refs.add(change.ref)
        elif change.action == "retire-commitment":
            refs.discard(change.ref)
        elif change.action == "add-policy-area":
            areas.add(change.area)
    return refs, areas


def areas_in_force(changes: list) -> dict[str, tuple[str, int]]:
    """Every policy area after `changes`: slug -> (name, pillar)."""
    areas = {a.slug: (a.name, a.pillar) for a in POLICY_AREAS}
    for change in changes:
        if change.action == "add-policy-area":
            areas[change.area] = (change.title, change.pillar)
    return areas


def locate(ref: str, changes: list) -> tuple[str, int] | None:
    """The (area slug, pillar) of a commitment in force after `changes`, or None."""
    refs, _ = amended_catalogue(changes)
    if ref not in refs:
        return None
    for change in reversed(changes):
        if change.action == "add-commitment" and change.ref == ref:
            return change.area, areas_in_force(changes)[change.area][1]
    area = area_of(ref)
    return area.slug, area.pillar


def amended_areas(changes: list) -> list[PolicyArea]:
    """The policy areas and their commitments as amended by `changes` (¶33 catalogue changes)."""
    areas = {a.slug: a for a in POLICY_AREAS}
    for change in changes:
        if change.action == "add-policy-area":
            areas[change.area] = PolicyArea(
                slug=change.area, name=change.title, pillar=change.pillar, paragraphs=(), commitments=()
            )
        elif change.action == "add-commitment" and change.area in areas:
            area = areas[change.area]
            added = Commitment(ref=change.ref, paragraph=paragraph_of(change.ref) or 0, title=change.title)
            areas[change.area] = area.model_copy(update={"commitments": (*area.commitments, added)})
        elif change.action == "retire-commitment":
            areas = {
                slug: a.model_copy(update={"commitments": tuple(c for c in a.commitments if c.ref != change.ref)})
                for slug, a in areas.items()
            }
    return list(areas.values())
