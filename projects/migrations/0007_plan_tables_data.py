"""Each plan's table numbers (the old 表1–表7 choices) become PlanTable rows."""

from django.db import migrations

SEED_PLAN = "bazhong-14th-service"
# The 14th plan's tables as printed (fixtures/plan.json "tables").
TITLES = {
    1: "巴中市“十四五”旅游业重大项目表",
    2: "巴中市“十四五”康养业重大项目表",
    3: "巴中市“十四五”商贸物流业重大项目表",
    4: "巴中市“十四五”文化创意产业重大项目表",
    5: "巴中市“十四五”人力资源服务业重大项目表",
    6: "巴中市“十四五”教育重大项目表",
    7: "巴中市“十四五”医疗卫生重大项目表",
}
SECTORS = {
    1: "tourism",
    2: "wellness",
    3: "commerce-logistics",
    4: "culture-creative",
    5: "human-resources",
    6: "education",
    7: "medical-sports",
}


def forward(apps, schema_editor):
    Plan = apps.get_model("portfolio", "Plan")
    Sector = apps.get_model("portfolio", "Sector")
    Project = apps.get_model("projects", "Project")
    PlanTable = apps.get_model("projects", "PlanTable")
    for plan in Plan.objects.all():
        projects = Project.objects.filter(plan=plan)
        numbers = sorted(set(projects.values_list("table", flat=True)) - {None})
        for number in numbers:
            sector = Sector.objects.filter(plan=plan, code=SECTORS.get(number)).first()
            if sector is None:
                sector = projects.filter(table=number).first().sector
            table, _ = PlanTable.objects.get_or_create(
                plan=plan,
                number=number,
                defaults={
                    "title": TITLES[number]
                    if plan.code == SEED_PLAN and number in TITLES
                    else "表%s" % number,
                    "sector": sector,
                },
            )
            projects.filter(table=number).update(plan_table=table)


def backward(apps, schema_editor):
    Project = apps.get_model("projects", "Project")
    for project in Project.objects.exclude(plan_table=None).select_related("plan_table"):
        Project.objects.filter(pk=project.pk).update(table=project.plan_table.number)


class Migration(migrations.Migration):

    dependencies = [("projects", "0006_plan_tables")]

    operations = [migrations.RunPython(forward, backward)]
