"""The plan and its reference data: districts, sectors, clusters, departments.

Also the two cross-cutting records every app writes to: the audit trail
(``AuditEntry``) and each user's departmental scope (``Profile``), and the abstract
``ReviewedModel`` whose review fields every reviewed record shares.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import (
    ApiScope,
    AuditAction,
    ClusterLevel,
    DepartmentKind,
    DistrictKind,
    ProgressCadence,
    ReviewState,
    Role,
    SectorTier,
)
from .fields import SHORT_TEXT, BoundedTextField


class ReviewedModel(models.Model):
    """The fields of a record that goes through the review (``portfolio.review``).

    Year records and indicator values inherit them; ``review_apply`` sets the
    timestamps and bumps ``version``, which also refuses stale writes.
    """

    state = models.CharField(
        _("审核状态"),
        max_length=20,
        choices=ReviewState.choices,
        default=ReviewState.DRAFT,
        db_index=True,
    )
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    returned_at = models.DateTimeField(_("退回时间"), null=True, blank=True)
    approved_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    return_reason = BoundedTextField(_("退回原因"), blank=True, max_length=SHORT_TEXT)
    version = models.PositiveIntegerField(_("版本"), default=1)

    class Meta:
        abstract = True


class Plan(models.Model):
    """A five-year plan; the next plan sits beside this one as another row."""

    code = models.SlugField(_("编码"), max_length=40, unique=True)
    name = models.CharField(_("规划名称"), max_length=200)
    issuer = models.CharField(_("印发机关"), max_length=100)
    issued_on = models.DateField(_("印发日期"))
    start_year = models.PositiveSmallIntegerField(_("起始年"))
    end_year = models.PositiveSmallIntegerField(_("结束年"))
    report_due_month = models.PositiveSmallIntegerField(
        _("年度报告截止月"),
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
    )
    report_due_day = models.PositiveSmallIntegerField(
        _("年度报告截止日"),
        default=20,
        validators=[MinValueValidator(1), MaxValueValidator(31)],
        help_text=_("每年的年度报告须在该月该日（含）之前提交。"),
    )
    is_current = models.BooleanField(_("当前规划"), default=True)
    progress_cadence = models.CharField(
        _("进度调度频次"),
        max_length=20,
        choices=ProgressCadence.choices,
        default=ProgressCadence.MONTHLY,
        help_text=_("项目进度更新按月或按季度报送，每期默认于期末次月5日前报送。"),
    )

    class Meta:
        verbose_name = _("规划")
        verbose_name_plural = _("规划")
        ordering = ["-start_year"]

    def __str__(self) -> str:
        return _("%(name)s（%(start)s—%(end)s年）") % {
            "name": self.name,
            "start": self.start_year,
            "end": self.end_year,
        }


class District(models.Model):
    """A county or district (县区) of Bazhong; 巴中经开区 is treated as one."""

    code = models.SlugField(_("编码"), max_length=20, unique=True)
    name = models.CharField(_("名称"), max_length=20, unique=True)
    kind = models.CharField(_("类型"), max_length=20, choices=DistrictKind.choices)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("县区")
        verbose_name_plural = _("县区")
        ordering = ["order"]

    def __str__(self) -> str:
        return self.name


class Sector(models.Model):
    """One of the plan's industries (专栏6), with tier, stars and positioning."""

    plan = models.ForeignKey(
        Plan, verbose_name=_("规划"), on_delete=models.PROTECT, related_name="sectors"
    )
    code = models.SlugField(_("编码"), max_length=40)
    name = models.CharField(_("产业名称"), max_length=40)
    tier = models.CharField(_("类别"), max_length=10, choices=SectorTier.choices)
    priority = models.PositiveSmallIntegerField(
        _("发展时序（星级）"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    positioning = BoundedTextField(_("发展定位"), max_length=SHORT_TEXT)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("产业")
        verbose_name_plural = _("产业")
        ordering = ["plan", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "code"], name="sector_code_per_plan"
            ),
            models.UniqueConstraint(
                fields=["plan", "name"], name="sector_name_per_plan"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def stars(self) -> str:
        return "★" * self.priority


class Cluster(models.Model):
    """A service-industry cluster (集聚区) of 专栏10, on one of the two belts."""

    plan = models.ForeignKey(
        Plan, verbose_name=_("规划"), on_delete=models.PROTECT, related_name="clusters"
    )
    code = models.SlugField(_("编码"), max_length=20)
    belt = models.CharField(_("产业带"), max_length=40)
    number = models.PositiveSmallIntegerField(_("序号"))
    name = models.CharField(_("集聚区名称"), max_length=100)
    districts = models.ManyToManyField(
        District, verbose_name=_("所在区域"), related_name="clusters"
    )
    planned_formats = BoundedTextField(_("规划业态"), max_length=SHORT_TEXT)
    planned_output = models.DecimalField(
        _("规划产值（亿元/年）"), max_digits=10, decimal_places=2
    )
    level = models.CharField(_("规划等级"), max_length=10, choices=ClusterLevel.choices)

    class Meta:
        verbose_name = _("集聚区")
        verbose_name_plural = _("集聚区")
        ordering = ["plan", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "code"], name="cluster_code_per_plan"
            ),
            models.UniqueConstraint(
                fields=["plan", "number"], name="cluster_number_per_plan"
            ),
            models.CheckConstraint(
                condition=models.Q(planned_output__gte=Decimal("0")),
                name="cluster_output_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.name}"


class Department(models.Model):
    """A body that answers for projects: a district government or a city bureau.

    A district government covers the projects of its district; a municipal bureau
    covers the projects of its sectors, wherever they are.
    """

    code = models.SlugField(_("编码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=60, unique=True)
    kind = models.CharField(_("类型"), max_length=30, choices=DepartmentKind.choices)
    district = models.ForeignKey(
        District,
        verbose_name=_("所辖县区"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="departments",
    )
    sectors = models.ManyToManyField(
        Sector, verbose_name=_("主管产业"), blank=True, related_name="departments"
    )
    email = models.EmailField(_("联系邮箱"), blank=True)

    class Meta:
        verbose_name = _("责任单位")
        verbose_name_plural = _("责任单位")
        ordering = ["kind", "code"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.kind == DepartmentKind.DISTRICT_GOVERNMENT and not self.district_id:
            raise ValidationError({"district": _("县（区）政府必须指定所辖县区。")})


class RoleGroup(models.Model):
    """Which Django group carries which role, keyed by the role's code.

    The groups keep their Chinese names for the admin, but code never looks a
    role up by a translated name: renaming a group in the admin changes nothing.
    """

    role = models.CharField(
        _("角色"), max_length=20, choices=Role.choices, primary_key=True
    )
    group = models.OneToOneField(
        "auth.Group",
        verbose_name=_("用户组"),
        on_delete=models.CASCADE,
        related_name="portfolio_role",
    )

    class Meta:
        verbose_name = _("角色用户组")
        verbose_name_plural = _("角色用户组")

    def __str__(self) -> str:
        return f"{self.get_role_display()} → {self.group}"


class Profile(models.Model):
    """A user's departments: what a clerk edits, what a supervisor oversees.

    A supervisor with ``all_departments`` sees the whole portfolio.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.CASCADE,
        related_name="profile",
    )
    departments = models.ManyToManyField(
        Department, verbose_name=_("所属/分管单位"), blank=True, related_name="profiles"
    )
    all_departments = models.BooleanField(
        _("全部单位"),
        default=False,
        help_text=_("督查员勾选后可查看全市所有项目。"),
    )

    class Meta:
        verbose_name = _("用户范围")
        verbose_name_plural = _("用户范围")

    def __str__(self) -> str:
        return str(self.user)


class AuditEntry(models.Model):
    """One recorded change: who, when, what (before → after) and why.

    Written by the service that made the change, in the same transaction.
    """

    content_type = models.ForeignKey(
        ContentType, verbose_name=_("对象类型"), on_delete=models.PROTECT
    )
    object_id = models.CharField(_("对象ID"), max_length=64, db_index=True)
    object_repr = models.CharField(_("对象"), max_length=300)
    action = models.CharField(_("操作"), max_length=20, choices=AuditAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The API client whose token made the change (a token is not a user): the
    # separation of duties compares the submitter and the reviewer by it.
    api_client = models.ForeignKey(
        "portfolio.ApiClient",
        verbose_name=_("API 凭据"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_label = models.CharField(_("操作来源"), max_length=150)
    changes = models.JSONField(_("变更内容"), default=dict, blank=True)
    reason = models.TextField(_("原因"), blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("变更记录")
        verbose_name_plural = _("变更记录")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.actor_label} {self.get_action_display()} {self.object_repr}"


class ApiClient(models.Model):
    """Credentials of an external system (外部系统) using the REST API.

    Only the SHA-256 of the token is stored; ``token_prefix`` lets an
    administrator tell tokens apart. ``departments`` empty means the whole
    portfolio; otherwise the client reaches those departments' projects only.

    A client is a principal like a person (``portfolio.authorization``): its
    ``role`` says what it may do (a clerk's acts by default; a supervisor's or an
    administrator's only when an administrator gives that role explicitly), its
    departments where, and ``scope`` whether it writes at all.
    """

    name = models.CharField(_("系统名称"), max_length=100, unique=True)
    scope = models.CharField(
        _("权限"), max_length=10, choices=ApiScope.choices, default=ApiScope.READ
    )
    role = models.CharField(
        _("角色"),
        max_length=20,
        choices=Role.choices,
        default=Role.CLERK,
        help_text=_(
            "读写凭据按此角色执行操作：填报员只能填报和提交；"
            "督查员可审核、退回、重新打开和移动项目；管理员可执行全部操作。"
            "督查员和管理员角色须由管理员明确授予。"
        ),
    )
    may_manage_projects = models.BooleanField(
        _("可直接新建项目"),
        default=False,
        help_text=_(
            "管理员明确授权后，该读写凭据可通过 POST /api/v1/projects/ 直接新建项目。"
        ),
    )
    departments = models.ManyToManyField(
        Department,
        verbose_name=_("限定单位"),
        blank=True,
        related_name="api_clients",
        help_text=_("留空表示全市所有项目。"),
    )
    token_prefix = models.CharField(_("令牌前缀"), max_length=16, editable=False)
    token_hash = models.CharField(
        _("令牌摘要"), max_length=64, unique=True, editable=False
    )
    expires_at = models.DateTimeField(_("过期时间"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("API 凭据")
        verbose_name_plural = _("API 凭据")
        ordering = ["name"]

    def __str__(self) -> str:
        return _("%(name)s（%(prefix)s…）") % {
            "name": self.name,
            "prefix": self.token_prefix,
        }

    @property
    def actor_label(self) -> str:
        """How the client's changes are signed in the history."""
        return _("API 客户端 %(name)s") % {"name": self.name}


class Tombstone(models.Model):
    """A deleted object, so that clients syncing with ``updated_since`` see it go.

    Written by the ``*_delete`` services in the deleting transaction. The
    district and sector of the deleted project are kept (as plain ids) so that a
    client limited to some departments only hears of its own objects.
    """

    model = models.CharField(_("对象类型"), max_length=100)
    object_id = models.CharField(_("对象ID"), max_length=64)
    object_code = models.CharField(_("对象编码"), max_length=64, blank=True)
    district_id = models.BigIntegerField(_("县区ID"), null=True, blank=True)
    sector_id = models.BigIntegerField(_("产业ID"), null=True, blank=True)
    deleted_at = models.DateTimeField(_("删除时间"), db_index=True)

    class Meta:
        verbose_name = _("删除记录")
        verbose_name_plural = _("删除记录")
        ordering = ["deleted_at", "id"]

    def __str__(self) -> str:
        return f"{self.model} {self.object_code or self.object_id}"
