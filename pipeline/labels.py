"""Chinese names an auditor reads: finding codes, slots, tracks, recommendations."""

from __future__ import annotations

from pipeline.manifest import Slot, Track
from pipeline.models import FindingCode, Recommendation

CODE_LABELS: dict[FindingCode, str] = {
    FindingCode.MISSING_MATERIAL: "材料缺失",
    FindingCode.WRONG_DOCUMENT: "材料不符",
    FindingCode.UNREADABLE_FILE: "文件无法读取",
    FindingCode.BLURRY: "页面模糊",
    FindingCode.LOW_RESOLUTION: "分辨率过低",
    FindingCode.POOR_EXPOSURE: "曝光不佳",
    FindingCode.ROTATED: "方向不正",
    FindingCode.UNMASKED_NAME: "姓名未遮盖",
    FindingCode.UNMASKED_EMPLOYER: "工作单位未遮盖",
    FindingCode.UNMASKED_SEAL: "单位公章未遮盖",
    FindingCode.UNMASKED_EYES: "照片眼部未遮盖",
    FindingCode.PHOTO_FACE_MISSING: "证件照无清晰面部",
    FindingCode.APPRAISAL_NOT_EXCELLENT: "年度考核非优秀",
    FindingCode.APPRAISAL_YEAR_MISSING: "缺少年度考核",
    FindingCode.CE_INCOMPLETE: "继续教育不完整",
    FindingCode.NOT_ELIGIBLE: "不符合申报条件",
    FindingCode.WORK_SUMMARY_LENGTH: "工作小结字数不符",
    FindingCode.UNSIGNED: "承诺书未签名或无日期",
    FindingCode.PUBLICITY_TOO_SHORT: "公示期不足",
    FindingCode.LATE_SUBMISSION: "不在申报时限内提交",
    FindingCode.TOO_MANY_ATTEMPTS: "提交次数超限",
    FindingCode.NAME_MISMATCH: "材料姓名与申报人不符",
    FindingCode.ID_EXPIRED: "身份证已过有效期",
    FindingCode.DUPLICATE_UPLOAD: "重复上传同一材料",
    FindingCode.DATE_INCONSISTENT: "材料日期与申报不符",
    FindingCode.TOO_MANY_PAGES: "页数过多",
    FindingCode.SCREENING_ERROR: "自动检查出错",
}

SLOT_LABELS: dict[Slot, str] = {
    Slot.id_card_portrait: "身份证人像面",
    Slot.id_card_emblem: "身份证国徽面",
    Slot.photo: "一寸免冠照片",
    Slot.diploma: "毕业证书",
    Slot.degree_certificate: "学位证书",
    Slot.foreign_degree_certification: "国外学历学位认证书",
    Slot.postdoc_certificate: "博士后出站证明",
    Slot.title_certificate: "现专业技术职务任职资格证书",
    Slot.ce_certificate: "继续教育合格证书",
    Slot.ce_exemption: "继续教育免除申请表",
    Slot.annual_appraisal: "年度考核证明",
    Slot.work_summary: "工作小结",
    Slot.promise_letter: "个人承诺书",
    Slot.unit_publicity: "推荐单位公示",
    Slot.publicity_result: "推荐单位公示结果",
    Slot.recommendation_report: "推荐报告",
    Slot.supervisor_opinion: "主管单位推荐意见",
    Slot.vacancy_statement: "学校空岗设置说明",
    Slot.teacher_qualification: "教师资格证",
    Slot.mandarin_certificate: "普通话等级证书",
}

TRACK_LABELS: dict[Track, str] = {
    Track.review: "职称评审",
    Track.initial_junior: "初次确定初级",
    Track.initial_intermediate: "初次确定中级",
    Track.grant_intermediate: "授予中级",
    Track.grant_associate_senior: "授予副高级",
    Track.grant_senior: "授予正高级",
    Track.fhj_three_year: "“访惠聚”三年高定",
}

RECOMMENDATION_LABELS: dict[Recommendation, str] = {
    Recommendation.pass_: "通过（无需关注）",
    Recommendation.needs_review: "需人工复核（仅有提醒）",
    Recommendation.return_to_applicant: "建议退回申报人修改",
}


_DIRECTION_CONTROLS = dict.fromkeys(map(ord, "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"), None)


def without_direction_controls(value: object) -> object:
    """Every value a page shows (the templates' ``finalize``): text an applicant or a user typed is
    shown in the order it was typed. A right-to-left override in a file name (``cert\u202egpj.exe``)
    would otherwise show it reversed (as ``certexe.jpg``), and carry on over the rest of the line."""
    return value.translate(_DIRECTION_CONTROLS) if isinstance(value, str) else value
