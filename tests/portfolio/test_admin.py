"""The admin shows the whole plan, in Chinese, with filters and search."""

import pytest
from django.urls import reverse

from portfolio.models import District

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("url_name", "count"),
    [
        ("admin:projects_project_changelist", 135),
        ("admin:portfolio_cluster_changelist", 21),
        ("admin:portfolio_sector_changelist", 14),
        ("admin:portfolio_district_changelist", 6),
        ("admin:indicators_indicator_changelist", None),
    ],
)
def test_administrator_sees_the_whole_plan(client, administrator, url_name, count):
    client.force_login(administrator)
    response = client.get(reverse(url_name))
    assert response.status_code == 200
    if count is not None:
        assert response.context["cl"].result_count == count
    else:
        names = {i.name for i in response.context["cl"].result_list}
        assert {"服务业增加值速度", "服务业税收增速"} <= names


def test_search_and_filters(client, administrator):
    client.force_login(administrator)
    url = reverse("admin:projects_project_changelist")
    found = client.get(url, {"q": "燕子岩索道"}).context["cl"]
    assert [p.code for p in found.result_list] == ["t1-010"]
    jingkai = District.objects.get(code="jingkai").pk
    by_district = client.get(url, {"district__id__exact": jingkai}).context["cl"]
    assert by_district.result_count == 18  # 巴中经开区
    by_year = client.get(url, {"active_year": "2021"}).context["cl"]
    assert by_year.result_count > 0
    assert all(p.start_year <= 2021 <= p.end_year for p in by_year.result_list)


def test_cluster_in_two_districts_is_shown_with_both(client, administrator):
    client.force_login(administrator)
    body = client.get(reverse("admin:portfolio_cluster_changelist")).content.decode()
    assert "巴州区、巴中经开区" in body
    assert "县（区）级" in body
