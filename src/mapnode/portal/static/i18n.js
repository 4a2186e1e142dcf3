// Interface language: zh-CN by default, English on request; the choice is kept in localStorage.
// Elements name their text with data-i18n (textContent) or data-i18n-placeholder.

const KEY = "mapnode.lang";

const DICT = {
  zh: {
    title: "地理信息公共服务平台",
    "search.placeholder": "搜索地名、地址、兴趣点", "nav.map": "地图", "nav.resources": "资源中心",
    "nav.docs": "开发者", "panel.toggle": "面板", "tab.layers": "图层", "tab.tools": "工具",
    "tab.history": "历史", "tab.results": "结果", "base.legend": "底图", "base.vector": "矢量",
    "base.imagery": "影像", "base.labels": "注记", "admin.legend": "行政区划",
    "admin.placeholder": "如：西湖区、杭州", "admin.go": "定位", "layers.legend": "专题图层",
    "tool.distance": "测距离", "tool.area": "测面积", "tool.point": "画点", "tool.line": "画线",
    "tool.polygon": "画面", "tool.finish": "完成", "tool.clear": "清除", "tool.export": "导出 GeoJSON",
    "tool.png": "保存图片 PNG",
    "tool.hint": "单击地图添加节点，双击或“完成”结束。未选工具时单击要素查看属性。",
    "tool.length": "长度", "tool.areaOf": "面积", "tool.saved": "已保存", "tool.none": "没有可导出的图形",
    "history.slider": "时间", "history.compare": "对比分析", "history.from": "从", "history.to": "到",
    "history.swipe": "卷帘", "history.side": "并排", "history.go": "对比", "history.end": "结束对比",
    "history.changes": "变化提取（当前视野）", "history.now": "现在", "history.empty": "暂无历史记录",
    "history.nochange": "视野内无变化", "history.added": "新增", "history.changed": "修改",
    "history.removed": "删除", "history.pick": "选择两个时间后点击“对比”",
    "history.more": "另有 {n} 项未列出",
    "results.prev": "上一页", "results.next": "下一页", "results.total": "共 {n} 条结果",
    "results.none": "没有找到结果", "results.page": "第 {p}/{n} 页",
    "reverse.title": "此处地址", "reverse.none": "附近没有地址", "coords.zone": "3°带",
    "info.title": "要素信息", "info.layer": "图层",
    "res.title": "资源中心", "res.services": "服务地址", "res.grid.w": "球面墨卡托（_w）",
    "res.grid.c": "经纬度 CGCS2000（_c）", "res.downloads": "下载", "res.snippets": "代码示例",
    "res.copy": "复制", "res.copied": "已复制", "res.metadata": "元数据", "res.name": "标识",
    "res.geometry": "几何", "res.edition": "版本", "res.licence": "许可", "res.attribution": "署名",
    "res.keywords": "关键词", "res.category": "分类", "res.lineage": "数据来源", "res.extent": "范围",
    "res.fields": "字段", "res.node": "本节点服务", "res.tiles": "矢量瓦片",
    "res.unavailable": "本节点未提供", "res.catalogue": "图层目录（{n}）", "err.network": "请求失败",
    "docs.title": "开发者", "docs.intro": "以下示例直接调用本节点的接口，点击“运行”查看返回结果。",
    "docs.run": "运行", "docs.examples": "示例", "docs.tianditu": "天地图兼容接口",
    "docs.openapi": "接口文档（OpenAPI）", "docs.portal": "门户接口", "docs.params": "参数",
    "docs.required": "必填",
  },
  en: {
    title: "Geographic Information Public Service Platform",
    "search.placeholder": "Search places, addresses, POIs", "nav.map": "Map",
    "nav.resources": "Resources", "nav.docs": "Developers", "panel.toggle": "Panel",
    "tab.layers": "Layers", "tab.tools": "Tools", "tab.history": "History", "tab.results": "Results",
    "base.legend": "Base map", "base.vector": "Vector", "base.imagery": "Imagery", "base.labels": "Labels",
    "admin.legend": "Administrative divisions", "admin.placeholder": "e.g. 西湖区, Hangzhou",
    "admin.go": "Go", "layers.legend": "Thematic layers", "tool.distance": "Distance",
    "tool.area": "Area", "tool.point": "Point", "tool.line": "Line", "tool.polygon": "Polygon",
    "tool.finish": "Finish", "tool.clear": "Clear", "tool.export": "Export GeoJSON",
    "tool.png": "Save PNG",
    "tool.hint": "Click the map to add vertices; double-click or Finish to end. With no tool, click a feature for its attributes.",
    "tool.length": "Length", "tool.areaOf": "Area", "tool.saved": "Saved", "tool.none": "Nothing drawn to export",
    "history.slider": "Time", "history.compare": "Compare dates", "history.from": "From",
    "history.to": "To", "history.swipe": "Swipe", "history.side": "Side by side",
    "history.go": "Compare", "history.end": "End comparison",
    "history.changes": "Changes in view", "history.now": "Now", "history.empty": "No history yet",
    "history.nochange": "No changes in view", "history.added": "Added", "history.changed": "Changed",
    "history.removed": "Removed", "history.pick": "Pick two dates, then Compare",
    "history.more": "{n} more not listed",
    "results.prev": "Previous", "results.next": "Next", "results.total": "{n} results",
    "results.none": "Nothing found", "results.page": "Page {p} of {n}",
    "reverse.title": "Address here", "reverse.none": "No address nearby", "coords.zone": "3° zone",
    "info.title": "Feature info", "info.layer": "Layer",
    "res.title": "Resource centre", "res.services": "Service URLs", "res.grid.w": "Web Mercator (_w)",
    "res.grid.c": "Lon/lat CGCS2000 (_c)", "res.downloads": "Downloads", "res.snippets": "Snippets",
    "res.copy": "Copy", "res.copied": "Copied", "res.metadata": "Metadata", "res.name": "Id",
    "res.geometry": "Geometry", "res.edition": "Edition", "res.licence": "Licence",
    "res.attribution": "Attribution", "res.keywords": "Keywords", "res.category": "Category",
    "res.lineage": "Lineage", "res.extent": "Extent", "res.fields": "Fields",
    "res.node": "Services of this node", "res.tiles": "Vector tiles",
    "res.unavailable": "not offered by this node", "res.catalogue": "Layer catalogue ({n})", "err.network": "Request failed",
    "docs.title": "Developers", "docs.intro": "These examples call this node's APIs; press Run to see the response.",
    "docs.run": "Run", "docs.examples": "Examples", "docs.tianditu": "天地图-compatible endpoints",
    "docs.openapi": "API reference (OpenAPI)", "docs.portal": "Portal API", "docs.params": "Parameters",
    "docs.required": "required",
  },
};

let lang = localStorage.getItem(KEY) === "en" ? "en" : "zh";
const listeners = [];

export function getLang() {
  return lang;
}

export function t(key, vars = {}) {
  const text = DICT[lang][key] ?? DICT.zh[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? ""));
}

/** Pick the zh or en member of a value pair, e.g. a layer's title_zh / title_en. */
export function pick(zh, en) {
  return lang === "en" ? en || zh : zh || en;
}

export function apply(root = document) {
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-placeholder]")) {
    el.placeholder = t(el.dataset.i18nPlaceholder);
  }
  const button = document.getElementById("lang");
  if (button) {
    button.textContent = lang === "zh" ? "English" : "中文";
    button.lang = lang === "zh" ? "en" : "zh-CN";
  }
}

export function setLang(next) {
  lang = next === "en" ? "en" : "zh";
  localStorage.setItem(KEY, lang);
  apply();
  for (const fn of listeners) fn(lang);
}

export function onLang(fn) {
  listeners.push(fn);
}
